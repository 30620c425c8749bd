import type { CoreErrorCodes } from './core-error-codes.js';

/**
 * Error codes: every code the hub answers with, records on a benchmark or an evaluation, or raises at
 * start-up is declared once, in the table of the package that raises it (core's: core-error-codes.ts;
 * a plugin's: its own table, contributed through its manifest's `errorCodes`). docs/errors.md is
 * generated from the tables. An error carries only its code; the HTTP status is the table's, and only
 * the server maps it to a response.
 */

/** Where a code shows up, which is also the section of docs/errors.md it is listed in. */
export type ErrorCodeKind =
  /** An HTTP answer to a client (has a `status`). */
  | 'request'
  /** Recorded on a benchmark (`benchmarks[i].error.code`); never fails the request. */
  | 'benchmark'
  /** Recorded on an evaluation (`evaluation.error.code`). */
  | 'evaluation'
  /** Raised while the hub starts (config, plugins); the hub does not start. */
  | 'startup'
  /** A tracker's failure, shown on the evaluation's `tracking` (never fails the evaluation). */
  | 'tracking';

export interface ErrorCodeSpec {
  kind: ErrorCodeKind;
  /**
   * HTTP status of a `request` code. A list when the same code answers with more than one status (the
   * first is the usual one; a thrower picks another from the list with the error's `status` option).
   */
  readonly status?: number | readonly number[];
  /** One line: what happened. */
  meaning: string;
  /** One line: what the client or operator does about it. */
  fix: string;
}

export type ErrorCodeTable = Readonly<Record<string, ErrorCodeSpec>>;

/**
 * Declares a table of codes, keeping its literal types (so `typeof TABLE` can extend
 * ErrorCodeRegistry). Checks the shape once at load: snake_case codes, a status exactly on requests.
 */
export function defineErrorCodes<const T extends ErrorCodeTable>(table: T): T {
  for (const [code, spec] of Object.entries(table)) {
    const problem = specProblem(code, spec);
    if (problem) throw new TypeError(`Error code '${code}': ${problem}`);
  }
  return Object.freeze(table);
}

function specProblem(code: string, spec: ErrorCodeSpec): string | undefined {
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(code)) return 'codes are snake_case';
  if (!spec.meaning.trim() || !spec.fix.trim()) return 'needs a meaning and a fix';
  const statuses = spec.status === undefined ? [] : [spec.status].flat();
  if (spec.kind === 'request' && statuses.length === 0) return 'a request code needs an HTTP status';
  if (spec.kind !== 'request' && statuses.length > 0) return `a ${spec.kind} code has no HTTP status`;
  if (statuses.some((s) => !Number.isInteger(s) || s < 400 || s > 599)) return 'HTTP statuses are 400 to 599';
  return undefined;
}

/**
 * Every declared code, for the type checker: core's table extends it here, and a package with its own
 * table augments it, so a code that no table declares does not compile:
 *
 *     declare module '@evalhub/core' {
 *       interface ErrorCodeRegistry extends MyPluginErrorCodes {}
 *     }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ErrorCodeRegistry extends CoreErrorCodes {}

/** A code some table declares. */
export type ErrorCode = keyof ErrorCodeRegistry & string;

/** The declared codes whose spec matches `Filter`, e.g. `CodeWhere<{ kind: 'benchmark' }>`. */
export type CodeWhere<Filter> = {
  [K in ErrorCode]: ErrorCodeRegistry[K] extends Filter ? K : never;
}[ErrorCode];

/** Request codes answered with `S` (alone or among others). */
export type CodeWithStatus<S extends number> = {
  [K in ErrorCode]: ErrorCodeRegistry[K] extends { status: infer T }
    ? S extends (T extends readonly number[] ? T[number] : T)
      ? K
      : never
    : never;
}[ErrorCode];

export interface RegisteredErrorCode extends ErrorCodeSpec {
  code: string;
  /** The package that declared it, e.g. `@evalhub/core`. */
  owner: string;
}

const registered = new Map<string, RegisteredErrorCode>();

/**
 * Adds a package's table to the hub's codes (the plugin loader calls it with each manifest's
 * `errorCodes`). Registering the same table again is a no-op; a code another package declared
 * already is refused, naming both.
 */
export function registerErrorCodes(owner: string, table: ErrorCodeTable): void {
  for (const [code, spec] of Object.entries(table)) {
    const problem = specProblem(code, spec);
    if (problem) throw new TypeError(`${owner} declares error code '${code}' wrongly: ${problem}.`);
    const earlier = registered.get(code);
    if (earlier && (earlier.owner !== owner || !sameSpec(earlier, spec)))
      throw new TypeError(
        `${owner} declares error code '${code}', which ${earlier.owner} declares already; codes are declared once.`,
      );
  }
  for (const [code, spec] of Object.entries(table)) registered.set(code, { ...spec, code, owner });
}

function sameSpec(a: ErrorCodeSpec, b: ErrorCodeSpec): boolean {
  return (
    a.kind === b.kind &&
    a.meaning === b.meaning &&
    a.fix === b.fix &&
    JSON.stringify(a.status) === JSON.stringify(b.status)
  );
}

/** The declaration of a registered code (core's codes are always registered). */
export function errorCodeSpec(code: string): RegisteredErrorCode | undefined {
  return registered.get(code);
}

/** Every registered code, in registration order. */
export function registeredErrorCodes(): RegisteredErrorCode[] {
  return [...registered.values()];
}

/**
 * The HTTP status a code answers with: the table's (with several, `preferred` when it is one of them,
 * else the first); undefined when no table registered the code or it is not a request code.
 */
export function statusForCode(code: string, preferred?: number): number | undefined {
  const spec = registered.get(code);
  if (spec?.status === undefined) return undefined;
  const statuses = [spec.status].flat();
  return preferred !== undefined && statuses.includes(preferred) ? preferred : statuses[0];
}
