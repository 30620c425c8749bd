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
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the process was ended by a signal. */
  signal: NodeJS.Signals | null;
  /** True when the request's signal aborted the process. */
  aborted: boolean;
  durationMs: number;
}

/** Where provider processes run: local child processes (default), Kubernetes Jobs later. */
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
