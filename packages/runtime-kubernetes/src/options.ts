import { ConfigError } from '@evalhub/core';

/** A Kubernetes env entry taken from a Secret or ConfigMap key (values never appear in config). */
export interface EnvFromKey {
  name: string;
  secret?: { name: string; key: string; optional?: boolean };
  config_map?: { name: string; key: string; optional?: boolean };
}

/** Pod settings; set for all benchmarks (`pod`) and per provider (`providers.<id>`). */
export interface PodSettings {
  /** `{ requests: {cpu, memory}, limits: {memory, 'nvidia.com/gpu'} }` as Kubernetes quantities. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  node_selector?: Record<string, string>;
  /** Kubernetes tolerations, as in a pod spec. */
  tolerations?: Record<string, unknown>[];
  /** Kubernetes affinity, as in a pod spec. */
  affinity?: Record<string, unknown>;
  service_account?: string;
  /** Env variables from Secret/ConfigMap keys. */
  env?: EnvFromKey[];
  /** Whole Secrets / ConfigMaps as env (`envFrom`). */
  env_from?: { secret?: string; config_map?: string }[];
  /** Extra pod volumes (Kubernetes shape, e.g. a Hugging Face cache PVC) and where to mount them. */
  volumes?: Record<string, unknown>[];
  volume_mounts?: { name: string; mount_path: string; read_only?: boolean; sub_path?: string }[];
  /** Kueue LocalQueue: sets the `kueue.x-k8s.io/queue-name` label. */
  queue_name?: string;
  priority_class?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  image?: string;
}

export interface KubernetesRuntimeOptions {
  /** Namespace the Jobs run in. Default: the hub pod's own namespace (in-cluster), else `default`. */
  namespace?: string;
  /** Image of the Jobs (normally the hub's own image, which holds the providers' tools). */
  image: string;
  image_pull_policy?: 'Always' | 'IfNotPresent' | 'Never';
  /** URL the worker in the pod reaches the hub at, e.g. `http://evalhub.eval-hub.svc:8000`. */
  callback_url: string;
  /** The worker's command in the image. Default `["evalhub-k8s-worker"]`. */
  worker_command?: string[];
  /** Label value telling this hub's Jobs from another hub's in the same namespace. Default `evalhub`. */
  hub_name?: string;
  /** Finished Jobs are garbage-collected after this many seconds. Default 3600. */
  ttl_seconds_after_finished?: number;
  /** `activeDeadlineSeconds` when the request names no timeout. Default 86400. */
  default_deadline_seconds?: number;
  /** Size limit of the pod's work emptyDir. Default `20Gi`. */
  work_size_limit?: string;
  /** Let requests set resources (ExecRequest.resources) within the operator's `max_resources`. Default false. */
  allow_request_resources?: boolean;
  /** Upper bounds of requested resources when `allow_request_resources` is on. */
  max_resources?: Record<string, string>;
  pod?: PodSettings;
  /** Pod settings per provider id, merged over `pod`. */
  providers?: Record<string, PodSettings>;
  /**
   * How to reach the API server. Default: in-cluster (the pod's service account). `kubeconfig`: a
   * kubeconfig file; or `server` with `token_file` and `ca_file`.
   */
  kube?: { kubeconfig?: string; context?: string; server?: string; token_file?: string; ca_file?: string };
  /** Seconds before a lost watch is re-listed at the latest. Default 300 (watches also resync on any error). */
  watch_timeout_seconds?: number;
}

const str = { type: 'string', minLength: 1 } as const;
const strMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const obj = { type: 'object' } as const;
const keyRef = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'key'],
  properties: { name: str, key: str, optional: { type: 'boolean' } },
} as const;

const podSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: { requests: strMap, limits: strMap },
    },
    node_selector: strMap,
    tolerations: { type: 'array', items: obj },
    affinity: obj,
    service_account: str,
    env: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: str, secret: keyRef, config_map: keyRef },
      },
    },
    env_from: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { secret: str, config_map: str },
      },
    },
    volumes: { type: 'array', items: { type: 'object', required: ['name'] } },
    volume_mounts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mount_path'],
        properties: { name: str, mount_path: str, read_only: { type: 'boolean' }, sub_path: str },
      },
    },
    queue_name: str,
    priority_class: str,
    labels: strMap,
    annotations: strMap,
    image: str,
  },
} as const;

/** JSON Schema of the options (checked by core's plugin loader before `register`). */
export const optionsSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['image', 'callback_url'],
  properties: {
    namespace: str,
    image: str,
    image_pull_policy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    callback_url: { type: 'string', pattern: '^https?://' },
    worker_command: { type: 'array', minItems: 1, items: str },
    hub_name: str,
    ttl_seconds_after_finished: { type: 'integer', minimum: 0 },
    default_deadline_seconds: { type: 'integer', minimum: 1 },
    work_size_limit: str,
    allow_request_resources: { type: 'boolean' },
    max_resources: strMap,
    pod: podSettingsSchema,
    providers: { type: 'object', additionalProperties: podSettingsSchema },
    kube: {
      type: 'object',
      additionalProperties: false,
      properties: { kubeconfig: str, context: str, server: str, token_file: str, ca_file: str },
    },
    watch_timeout_seconds: { type: 'integer', minimum: 5 },
  },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const TOLERATION_OPERATORS = new Set(['Exists', 'Equal']);
const TOLERATION_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** Parses a Kubernetes quantity into a number (base units), for comparisons against maxima. */
export function parseQuantity(q: string): number {
  const m = /^[+]?(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(q);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  const binary: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  const decimal: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    '': 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
  };
  if (suffix in binary) return n * (binary[suffix] ?? 1);
  if (suffix in decimal) return n * (decimal[suffix] ?? 1);
  if (/^[eE][-+]?\d+$/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return Number.NaN;
}

/** Problems of one set of pod settings, each as `pointer: message`. */
function podSettingsProblems(p: PodSettings | undefined, at: string): string[] {
  const out: string[] = [];
  if (!p) return out;
  for (const kind of ['requests', 'limits'] as const) {
    for (const [name, q] of Object.entries(p.resources?.[kind] ?? {})) {
      if (!LABEL_KEY.test(name)) out.push(`${at}/resources/${kind}/${name}: not a resource name`);
      if (!QUANTITY.test(q))
        out.push(`${at}/resources/${kind}/${name}: '${q}' is not a Kubernetes quantity (e.g. 500m, 2, 8Gi)`);
    }
  }
  for (const [k, v] of Object.entries({ ...p.node_selector, ...p.labels })) {
    if (!LABEL_KEY.test(k)) out.push(`${at}: '${k}' is not a valid label key`);
    if (v.length > 63 || !LABEL_VALUE.test(v))
      out.push(`${at}: label value '${v}' of '${k}' is not valid (63 characters of [A-Za-z0-9-_.])`);
  }
  (p.tolerations ?? []).forEach((t, i) => {
    const op = t.operator;
    if (op !== undefined && !TOLERATION_OPERATORS.has(String(op)))
      out.push(`${at}/tolerations/${i}/operator: '${String(op)}' must be Exists or Equal`);
    if (t.effect !== undefined && !TOLERATION_EFFECTS.has(String(t.effect)))
      out.push(
        `${at}/tolerations/${i}/effect: '${String(t.effect)}' must be NoSchedule, PreferNoSchedule or NoExecute`,
      );
    if (op === 'Exists' && t.value !== undefined)
      out.push(`${at}/tolerations/${i}/value: must be empty with operator Exists`);
  });
  for (const name of [p.service_account, p.priority_class].filter((x): x is string => x !== undefined)) {
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253)
      out.push(`${at}: '${name}' is not a valid Kubernetes name`);
  }
  if (p.queue_name !== undefined && (!LABEL_VALUE.test(p.queue_name) || p.queue_name.length > 63))
    out.push(`${at}/queue_name: '${p.queue_name}' is not a valid label value`);
  (p.env ?? []).forEach((e, i) => {
    if (!e.secret === !e.config_map) out.push(`${at}/env/${i}: set exactly one of secret or config_map`);
  });
  (p.env_from ?? []).forEach((e, i) => {
    if (!e.secret === !e.config_map) out.push(`${at}/env_from/${i}: set exactly one of secret or config_map`);
  });
  const volumeNames = new Set((p.volumes ?? []).map((v) => String(v.name)));
  (p.volume_mounts ?? []).forEach((m, i) => {
    if (!volumeNames.has(m.name) && m.name !== 'work')
      out.push(`${at}/volume_mounts/${i}/name: no volume '${m.name}' in ${at}/volumes`);
    if (!m.mount_path.startsWith('/')) out.push(`${at}/volume_mounts/${i}/mount_path: must be absolute`);
  });
  for (const v of p.volumes ?? []) {
    if (!DNS_LABEL.test(String(v.name)))
      out.push(`${at}/volumes: '${String(v.name)}' is not a valid volume name`);
    if (v.name === 'work' || v.name === 'evalhub-worker')
      out.push(`${at}/volumes: the name '${String(v.name)}' is the runtime's own`);
  }
  return out;
}

/** Checks what JSON Schema cannot (names, quantities, references); throws one ConfigError listing all. */
export function validateOptions(o: KubernetesRuntimeOptions): void {
  const problems: string[] = [];
  if (o.namespace !== undefined && (!DNS_LABEL.test(o.namespace) || o.namespace.length > 63))
    problems.push(`/namespace: '${o.namespace}' is not a valid namespace name`);
  if (o.hub_name !== undefined && (!LABEL_VALUE.test(o.hub_name) || o.hub_name.length > 63))
    problems.push(`/hub_name: '${o.hub_name}' is not a valid label value`);
  if (o.work_size_limit !== undefined && !QUANTITY.test(o.work_size_limit))
    problems.push(`/work_size_limit: '${o.work_size_limit}' is not a Kubernetes quantity`);
  for (const [name, q] of Object.entries(o.max_resources ?? {}))
    if (!QUANTITY.test(q)) problems.push(`/max_resources/${name}: '${q}' is not a Kubernetes quantity`);
  try {
    new URL(o.callback_url);
  } catch {
    problems.push(`/callback_url: '${o.callback_url}' is not a URL`);
  }
  problems.push(...podSettingsProblems(o.pod, '/pod'));
  for (const [id, p] of Object.entries(o.providers ?? {}))
    problems.push(...podSettingsProblems(p, `/providers/${id}`));
  if (o.kube?.server && !o.kube.token_file)
    problems.push('/kube/token_file: required with /kube/server (a file holding the bearer token)');
  if (problems.length > 0)
    throw new ConfigError(
      `Options of @evalhub/runtime-kubernetes are invalid: ${problems.join('; ')}. Fix them in the config's runtime options.`,
    );
}

/** Merges provider settings over the defaults: maps merge by key, lists append, scalars replace. */
export function mergePodSettings(base: PodSettings = {}, over: PodSettings = {}): PodSettings {
  const out: PodSettings = { ...base, ...over };
  out.resources = {
    requests: { ...base.resources?.requests, ...over.resources?.requests },
    limits: { ...base.resources?.limits, ...over.resources?.limits },
  };
  out.node_selector = { ...base.node_selector, ...over.node_selector };
  out.labels = { ...base.labels, ...over.labels };
  out.annotations = { ...base.annotations, ...over.annotations };
  out.tolerations = [...(base.tolerations ?? []), ...(over.tolerations ?? [])];
  out.env = [...(base.env ?? []), ...(over.env ?? [])];
  out.env_from = [...(base.env_from ?? []), ...(over.env_from ?? [])];
  out.volumes = [...(base.volumes ?? []), ...(over.volumes ?? [])];
  out.volume_mounts = [...(base.volume_mounts ?? []), ...(over.volume_mounts ?? [])];
  return out;
}
