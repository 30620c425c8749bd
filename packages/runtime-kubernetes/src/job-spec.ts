import type {
  V1Affinity,
  V1Container,
  V1Toleration,
  V1EnvVar,
  V1Job,
  V1Secret,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS, attemptLabels, type AttemptLabels } from './labels.js';
import type { PodSettings } from './options.js';

/** Where the worker keeps the benchmark's files inside the pod (an emptyDir; the root is read-only). */
export const WORK_DIR = '/work';
export const CONTAINER_NAME = 'benchmark';
/** The Secret key holding the attempt's callback token. */
export const TOKEN_KEY = 'token';

/** Environment variables of the worker container (the contract between runtime and worker). */
export const WORKER_ENV = {
  callbackUrl: 'EVALHUB_CALLBACK_URL',
  attemptId: 'EVALHUB_ATTEMPT_ID',
  token: 'EVALHUB_WORKER_TOKEN',
  workDir: 'EVALHUB_WORKER_DIR',
} as const;

export interface JobSpecInput {
  name: string;
  namespace: string;
  hub: string;
  labels: AttemptLabels;
  image: string;
  imagePullPolicy?: string;
  command: string[];
  callbackUrl: string;
  /** Name of the Secret with the callback token (made right after the Job, owned by it). */
  secretName: string;
  deadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  workSizeLimit: string;
  pod: PodSettings;
}

/** The restricted security context (Pod Security Standard "restricted", OpenShift restricted-v2). */
const RESTRICTED_CONTAINER_SECURITY = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** One batch/v1 Job for one benchmark attempt. Holds no secret: the token comes from the Secret. */
export function buildJob(input: JobSpecInput): V1Job {
  const { pod } = input;
  const labels: Record<string, string> = {
    ...pod.labels,
    ...attemptLabels(input.hub, input.labels),
    ...(pod.queue_name ? { [LABELS.kueueQueue]: pod.queue_name } : {}),
  };
  const annotations: Record<string, string> = {
    ...pod.annotations,
    ...(input.labels.benchmarkId ? { [ANNOTATIONS.benchmarkId]: input.labels.benchmarkId } : {}),
    ...(input.labels.providerId ? { [ANNOTATIONS.providerId]: input.labels.providerId } : {}),
  };
  const env: V1EnvVar[] = [
    { name: WORKER_ENV.callbackUrl, value: input.callbackUrl },
    { name: WORKER_ENV.attemptId, value: input.name },
    { name: WORKER_ENV.workDir, value: WORK_DIR },
    { name: WORKER_ENV.token, valueFrom: { secretKeyRef: { name: input.secretName, key: TOKEN_KEY } } },
    { name: 'HOME', value: `${WORK_DIR}/home` },
    { name: 'TMPDIR', value: `${WORK_DIR}/tmp` },
    ...(pod.env ?? []).map((e): V1EnvVar => ({
      name: e.name,
      valueFrom: e.secret
        ? { secretKeyRef: { name: e.secret.name, key: e.secret.key, optional: e.secret.optional ?? false } }
        : {
            configMapKeyRef: {
              name: e.config_map?.name ?? '',
              key: e.config_map?.key ?? '',
              optional: e.config_map?.optional ?? false,
            },
          },
    })),
  ];
  const volumeMounts: V1VolumeMount[] = [
    { name: 'work', mountPath: WORK_DIR },
    ...(pod.volume_mounts ?? []).map((m) => ({
      name: m.name,
      mountPath: m.mount_path,
      ...(m.read_only !== undefined ? { readOnly: m.read_only } : {}),
      ...(m.sub_path ? { subPath: m.sub_path } : {}),
    })),
  ];
  const volumes: V1Volume[] = [
    { name: 'work', emptyDir: { sizeLimit: input.workSizeLimit } },
    ...((pod.volumes ?? []) as unknown as V1Volume[]),
  ];
  const requests = pod.resources?.requests ?? {};
  const limits = pod.resources?.limits ?? {};
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: input.image,
    ...(input.imagePullPolicy ? { imagePullPolicy: input.imagePullPolicy } : {}),
    command: input.command,
    env,
    ...(pod.env_from && pod.env_from.length > 0
      ? {
          envFrom: pod.env_from.map((e) =>
            e.secret ? { secretRef: { name: e.secret } } : { configMapRef: { name: e.config_map ?? '' } },
          ),
        }
      : {}),
    ...(Object.keys(requests).length + Object.keys(limits).length > 0
      ? {
          resources: {
            ...(Object.keys(requests).length > 0 ? { requests } : {}),
            ...(Object.keys(limits).length > 0 ? { limits } : {}),
          },
        }
      : {}),
    securityContext: {
      ...RESTRICTED_CONTAINER_SECURITY,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: input.name, namespace: input.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: input.deadlineSeconds,
      ttlSecondsAfterFinished: input.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(pod.service_account ? { serviceAccountName: pod.service_account } : {}),
          ...(pod.priority_class ? { priorityClassName: pod.priority_class } : {}),
          ...(pod.node_selector && Object.keys(pod.node_selector).length > 0
            ? { nodeSelector: pod.node_selector }
            : {}),
          ...(pod.tolerations && pod.tolerations.length > 0
            ? { tolerations: pod.tolerations as V1Toleration[] }
            : {}),
          ...(pod.affinity ? { affinity: pod.affinity as V1Affinity } : {}),
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [container],
          volumes,
        },
      },
    },
  };
}

/** The attempt's token Secret, owned by its Job (deleted with it). */
export function buildTokenSecret(input: {
  name: string;
  namespace: string;
  hub: string;
  labels: AttemptLabels;
  token: string;
  owner?: { name: string; uid: string };
}): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: attemptLabels(input.hub, input.labels),
      ...(input.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name: input.owner.name,
                uid: input.owner.uid,
                blockOwnerDeletion: false,
              },
            ],
          }
        : {}),
    },
    stringData: { [TOKEN_KEY]: input.token },
  };
}
