import type { InjectionToken } from 'tsyringe';

export interface ExecRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Added to a minimal inherited environment (PATH, HOME, LANG…). Never log these values. */
  env?: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
  signal: AbortSignal;
  /** Called for each complete output line (stdout and stderr), e.g. to parse progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Grace period between SIGTERM and SIGKILL of the process group on abort. */
  killGraceMs?: number;
  /**
   * Whose work this is. A runtime that schedules the command elsewhere (a Kubernetes Job) labels it
   * with these, finds it again after a hub restart, and derives names from them. Optional: the
   * local runtime ignores it.
   */
  labels?: ExecLabels;
  /**
   * Absolute paths (files or folders) the command reads. A runtime without the hub's file system
   * copies them in before the command starts. Default: `cwd` and the files it references.
   */
  inputs?: readonly string[];
  /**
   * Absolute folders the command writes and the provider reads afterwards. A runtime without the
   * hub's file system copies them back before `exec` resolves. Default: `cwd`.
   */
  outputs?: readonly string[];
  /** What the command needs, e.g. `{ requests: { cpu: '2', memory: '8Gi' }, limits: { 'nvidia.com/gpu': '1' } }`. */
  resources?: ExecResources;
  /** Seconds the command may run; a remote runtime sets its own deadline from it. */
  timeoutSeconds?: number;
  /** Container image to run the command in, where a runtime runs containers (a provider's own image). */
  image?: string;
}

export interface ExecLabels {
  evaluationId: string;
  /** Index of the benchmark within the evaluation. */
  benchmarkIndex: number;
  /** 1 for the first run of this benchmark, growing with every restart. */
  attempt: number;
  benchmarkId?: string;
  providerId?: string;
}

export interface ExecResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the process was ended by a signal. */
  signal: NodeJS.Signals | null;
  /** True when the request's signal aborted the process. */
  aborted: boolean;
  durationMs: number;
  /**
   * Why the command did not run to its own end when the runtime knows better than an exit code
   * (e.g. `OOMKilled: the container exceeded its memory limit`). Providers add it to their error.
   */
  reason?: string;
}

/** Where provider processes run: local child processes (default) or a plugin's (Kubernetes Jobs). */
export interface Runtime {
  readonly name: string;
  exec(request: ExecRequest): Promise<ExecResult>;
  /**
   * Called once at start-up, before unfinished evaluations resume: ends what a previous hub process
   * left running (it would otherwise run beside the resumed attempt). Returns how many were ended.
   */
  recover?(): Promise<{ reaped: number }>;
}

export const RuntimeToken: InjectionToken<Runtime> = Symbol.for('evalhub.runtime');
