import type { InjectionToken } from 'tsyringe';

export interface ExecRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Added to a minimal inherited environment (PATH, HOME, LANG…). Never log these values. */
  env?: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
  /**
   * Aborted when the command must stop, with an {@link ExecAbortReason} as the signal's reason. A
   * resumable runtime leaves the command running on `'shutdown'` (the next hub re-attaches to it).
   */
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
  /**
   * Seconds the command may run; a remote runtime sets its own deadline from it (a Kubernetes Job's
   * `activeDeadlineSeconds`). Core sets it to the benchmark's timeout, or to the provider's when that
   * is shorter; the local runtime ignores it, since core aborts the command at the timeout itself.
   */
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

/**
 * Why the hub aborts a command: `cancel` (the user's DELETE), `timeout` (the benchmark's),
 * `shutdown` (this hub process stops gracefully; the evaluation resumes on the next start), or
 * `lease_lost` (this replica lost the evaluation to another, which resumes or cancels it).
 */
export type ExecAbortReason = 'cancel' | 'shutdown' | 'timeout' | 'lease_lost';

/** Where provider processes run: local child processes (default) or a plugin's (Kubernetes Jobs). */
export interface Runtime {
  readonly name: string;
  exec(request: ExecRequest): Promise<ExecResult>;
  /**
   * Commands outlive the hub process (they run elsewhere, e.g. as Kubernetes Jobs). After a restart
   * (graceful or a crash) the hub then runs the interrupted attempt again with the same
   * `labels.attempt`, which such a runtime answers by re-attaching to the command it still has; the
   * interruption does not count against `evaluation.max_attempts`. Default false: a hub restart
   * ends the command and the next start runs a new attempt.
   */
  readonly resumable?: boolean;
  /**
   * Called once at start-up, before unfinished evaluations resume: ends what a previous hub process
   * left running that nothing will resume — for a local runtime everything (it would otherwise run
   * beside the resumed attempt), for a resumable one the commands of evaluations `isLive` denies
   * (finished or deleted). Returns how many were ended.
   */
  recover?(isLive: (evaluationId: string) => Promise<boolean>): Promise<{ reaped: number }>;
  /**
   * Checked at submission when a benchmark of the request names `resources`: the problems that keep
   * this runtime from giving them (not allowed by its operator, above its bounds), each a sentence
   * that says the fix; empty when it can. A runtime without this method takes no resources, and such
   * a request is refused. The accepted resources reach `exec` as `ExecRequest.resources`.
   */
  checkResources?(resources: ExecResources): string[];
}

export const RuntimeToken: InjectionToken<Runtime> = Symbol.for('evalhub.runtime');
