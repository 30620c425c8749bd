import type { ErrorCodeKind, RegisteredErrorCode } from '@evalhub/core';

/**
 * Renders the generated part of docs/errors.md from the registered error-code tables: one section
 * per kind, request codes ordered by status. Everything above MARKER in the file is hand-written.
 */
export const MARKER =
  "<!-- Generated from the error-code tables (core-error-codes.ts, the server's and each plugin's error-codes.ts) by `npm run generate`: edit the tables, not below this line. -->";

const SECTIONS: { kind: ErrorCodeKind; title: string; intro?: string }[] = [
  { kind: 'request', title: 'Request errors' },
  {
    kind: 'benchmark',
    title: 'Benchmark errors',
    intro:
      "These do not fail the request; they are recorded on the benchmark (`benchmarks[i].error`) and in\nthe MLflow run's description.",
  },
  {
    kind: 'evaluation',
    title: 'Evaluation-level codes',
    intro:
      '`evaluation.error.code` is one of these, or `cancelled`; the message lists each failed benchmark\nand its reason.',
  },
  {
    kind: 'startup',
    title: 'Start-up errors',
    intro: 'The hub does not start; the message names the key or the package and the fix.',
  },
  {
    kind: 'tracking',
    title: 'Tracking',
    intro:
      'MLflow failures never fail an evaluation. They show on the evaluation as `tracking.state`\n(`pending` with `tracking.last_error` while retrying; `failed` when retrying cannot help, e.g. an\nexperiment name held by a deleted experiment) and on `GET /api/v1/health`.',
  },
];

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const owner = (name: string): string => name.replace(/^@evalhub\//, '');
const statuses = (c: RegisteredErrorCode): number[] => (c.status === undefined ? [] : [c.status].flat());

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The generated sections, in a stable order: core's codes, the server's, then plugins' by name. */
export function renderErrorSections(codes: readonly RegisteredErrorCode[]): string {
  const rank = (o: string): string => (o === '@evalhub/core' ? '0' : o === '@evalhub/server' ? '1' : `2${o}`);
  const ordered = codes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c.owner).localeCompare(rank(b.c.owner)) || a.i - b.i)
    .map((x) => x.c);
  const out: string[] = [];
  for (const section of SECTIONS) {
    let of = ordered.filter((c) => c.kind === section.kind);
    if (of.length === 0) continue;
    out.push(`## ${section.title}`);
    if (section.intro) out.push(section.intro);
    if (section.kind === 'request') {
      of = of
        .map((c, i) => ({ c, i }))
        .sort((a, b) => statuses(a.c)[0]! - statuses(b.c)[0]! || a.i - b.i)
        .map((x) => x.c);
      out.push(
        table(
          ['status', 'code', 'cause', 'fix', 'declared by'],
          of.map((c) => [statuses(c).join(', '), `\`${c.code}\``, c.meaning, c.fix, owner(c.owner)]),
        ),
      );
    } else {
      out.push(
        table(
          ['code', 'meaning', 'fix', 'declared by'],
          of.map((c) => [`\`${c.code}\``, c.meaning, c.fix, owner(c.owner)]),
        ),
      );
    }
  }
  return out.join('\n\n') + '\n';
}

/** The whole file: the hand-written head (up to MARKER) kept, the rest generated. */
export function renderErrorsDoc(current: string, codes: readonly RegisteredErrorCode[]): string {
  const at = current.indexOf(MARKER);
  if (at < 0) throw new Error(`docs/errors.md lacks the marker line:\n${MARKER}`);
  return `${current.slice(0, at)}${MARKER}\n\n${renderErrorSections(codes)}`;
}
