import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/**
 * The Kubernetes runtime's error codes, contributed through its manifest: what it records on a
 * benchmark, and what its worker callback answers a worker with (besides core's generic HTTP codes).
 */
export const KUBERNETES_ERROR_CODES = defineErrorCodes({
  kubernetes_no_labels: {
    kind: 'benchmark',
    meaning: 'the runtime was asked to run a command without the labels that name its Job (a hub bug)',
    fix: 'report it',
  },
  kubernetes_resources_too_large: {
    kind: 'benchmark',
    meaning: "the benchmark asked for more resources than the runtime's `max_resources`",
    fix: 'ask for less, or raise `max_resources`',
  },
  kubernetes_job_not_found: {
    kind: 'benchmark',
    meaning: 'after a restart, the Job the hub started for the benchmark is gone',
    fix: 'submit again; keep Jobs until the hub has read them (`ttl_seconds_after_finished`)',
  },
  kubernetes_job_deleted: {
    kind: 'benchmark',
    meaning: 'the Job was deleted outside the hub while it ran',
    fix: "submit again; do not delete the hub's Jobs by hand",
  },
  kubernetes_forbidden: {
    kind: 'benchmark',
    meaning: "the hub's service account may not do what the run needs (the message names the verb)",
    fix: 'grant the RBAC rule the message names (see `deploy/`)',
  },
  kubernetes_invalid: {
    kind: 'benchmark',
    meaning: 'the Kubernetes API refused the Job as invalid (HTTP 422)',
    fix: 'fix the pod settings the message names',
  },
  kubernetes_api_error: {
    kind: 'benchmark',
    meaning: 'a Kubernetes API call failed',
    fix: "check the API server's health and the message",
  },
  kubernetes_evicted: {
    kind: 'benchmark',
    meaning: 'the node evicted the pod',
    fix: "submit again; check the node's pressure (memory, disk)",
  },
  kubernetes_deadline_exceeded: {
    kind: 'benchmark',
    meaning: 'the Job or pod ran past its deadline',
    fix: 'raise `timeout_seconds`, or lower `limit`',
  },
  kubernetes_job_failed: {
    kind: 'benchmark',
    meaning: 'the Job failed before its command could report (e.g. it never got scheduled)',
    fix: "the message gives the Job's reason and what the pod was waiting for",
  },
  kubernetes_image_pull_back_off: {
    kind: 'benchmark',
    meaning: 'the image cannot be pulled (the cluster backs off)',
    fix: 'check the image name, tag and pull secret',
  },
  kubernetes_invalid_image_name: {
    kind: 'benchmark',
    meaning: 'the image name is not valid',
    fix: 'fix the image name',
  },
  kubernetes_err_image_never_pull: {
    kind: 'benchmark',
    meaning: 'the image is not on the node and `imagePullPolicy: Never` forbids pulling it',
    fix: 'load the image onto the nodes, or change the pull policy',
  },
  kubernetes_create_container_error: {
    kind: 'benchmark',
    meaning: 'the container cannot be created (e.g. a missing ConfigMap or Secret)',
    fix: 'see the message',
  },
  attempt_not_attached: {
    kind: 'request',
    status: 503,
    meaning: 'worker callback: the attempt is not attached to this hub (yet)',
    fix: 'the worker retries after `Retry-After` seconds',
  },
  validation_error: {
    kind: 'request',
    status: 400,
    meaning: "worker callback: the worker's request is invalid (e.g. a relative path)",
    fix: 'see the message (a worker bug)',
  },
});

type KubernetesErrorCodes = typeof KUBERNETES_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends KubernetesErrorCodes {}
}

export type KubernetesErrorCode = keyof KubernetesErrorCodes;

registerErrorCodes('@evalhub/runtime-kubernetes', KUBERNETES_ERROR_CODES);
