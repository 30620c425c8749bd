import { constants } from 'node:os';

/**
 * A POSIX shell wrapper that makes a command die with the hub. It runs the command in the
 * background and watches its own stdin, a pipe whose only writer is the hub: when the hub process
 * ends, however it ends (SIGKILL included), the pipe reaches end-of-file and the watcher kills the
 * whole process group. The wrapper exits with the command's status.
 *
 * Argument layout: `sh -c WATCHDOG_SCRIPT evalhub-watchdog <command> <args…>`.
 */
export const WATCHDOG_SCRIPT = [
  // A SIGTERM to the group (cancel, timeout) reaches the command directly; the wrapper itself stays
  // until the command has ended, so the hub still sees the command's own exit and grace period.
  `trap 'kill -TERM "$child" 2>/dev/null' TERM`,
  'exec 3<&0 </dev/null',
  '"$@" 3<&- &',
  'child=$!',
  // The watcher is one shell process (a builtin read, no helper process), holding none of the
  // command's output pipes: when the hub's end of fd 3 closes, it kills the whole group.
  '( while read -r _ <&3; do :; done; kill -KILL 0 ) >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$child"',
  'status=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  // SIGKILL, not SIGTERM: a watcher forked a moment ago may still hold the wrapper's TERM trap,
  // which would swallow the signal and leave the wait below waiting on it for ever.
  'kill -KILL "$watcher" 2>/dev/null',
  // Reap every child here: none is left for an init that may not reap (a zombie keeps its group alive).
  'wait',
  'exit "$status"',
].join('\n');

/** The shell's exit status back to Node's (code, signal) pair: 128+N means "killed by signal N". */
export function fromShellStatus(code: number | null): {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
} {
  if (code !== null && code > 128 && code < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { exitCode: null, signal: name as NodeJS.Signals };
  }
  return { exitCode: code, signal: null };
}
