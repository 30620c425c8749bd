import { timingSafeEqual } from 'node:crypto';

/** What the worker asks for first: the provider's command and the files around it. */
export interface WorkerSpec {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Files to fetch before the command starts (absolute hub paths). */
  inputs: { path: string; size: number; mode: number }[];
  /** Folders whose files are sent back after the command ends (absolute hub paths). */
  outputs: string[];
}

export interface WorkerDone {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** One attempt the worker may call back for, with the token it must present. */
export interface Attempt {
  id: string;
  token: string;
  spec: WorkerSpec;
  onLines(lines: { stream: 'stdout' | 'stderr'; text: string }[]): void;
  onDone(done: WorkerDone): void;
  /** Absolute hub paths the worker may read. */
  readable: Set<string>;
}

/** The attempts currently running, by Job name. Tokens live only here and in the Job's Secret. */
export class AttemptRegistry {
  private readonly attempts = new Map<string, Attempt>();

  add(attempt: Attempt): void {
    this.attempts.set(attempt.id, attempt);
  }

  remove(id: string): void {
    this.attempts.delete(id);
  }

  get size(): number {
    return this.attempts.size;
  }

  /** The attempt when `token` is its token (constant-time comparison), else undefined. */
  authenticate(id: string, token: string | undefined): Attempt | 'unknown' | 'denied' {
    const a = this.attempts.get(id);
    if (!a) return 'unknown';
    if (token === undefined) return 'denied';
    const want = Buffer.from(a.token);
    const got = Buffer.from(token);
    return want.length === got.length && timingSafeEqual(want, got) ? a : 'denied';
  }
}
