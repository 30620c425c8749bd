import type { LogTail, LogTails } from '@evalhub/core';
import type { Database } from './database.js';
import type { GroupCommit } from './group-commit.js';
import { storableText } from './text.js';

/** U+0000 has no place in PostgreSQL text; in a log line it becomes U+FFFD. */
const storable = (line: string): string => line.replaceAll('\u0000', '\uFFFD');

/**
 * LogTails on PostgreSQL: one row per segment, its lines joined by newlines (a line holds none). A
 * put for an evaluation that is gone stores nothing; a deleted evaluation takes its rows with it.
 */
export class PostgresLogTails implements LogTails {
  constructor(
    private readonly db: Database,
    private readonly writes: GroupCommit,
  ) {}

  put(t: LogTail): Promise<void> {
    const values = [
      storable(t.segment),
      t.evaluationId,
      t.benchmarkIndex,
      t.attempt,
      t.lines.map(storable).join('\n'),
    ];
    if (!storableText(t.evaluationId)) return Promise.resolve();
    return this.writes.run(
      async (client) => {
        await client.query(
          `INSERT INTO benchmark_log_tails (segment, evaluation_id, benchmark_index, attempt, tail)
           SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM evaluations WHERE id = $2)
           ON CONFLICT (segment) DO UPDATE SET tail = excluded.tail, updated_at = now()`,
          values,
        );
      },
      { singleStatement: true },
    );
  }

  async list(evaluationId: string): Promise<LogTail[]> {
    if (!storableText(evaluationId)) return [];
    const { rows } = await this.db.query<{
      segment: string;
      benchmark_index: number;
      attempt: number;
      tail: string;
    }>(
      `SELECT segment, benchmark_index, attempt, tail FROM benchmark_log_tails
       WHERE evaluation_id = $1 ORDER BY benchmark_index, ordinal`,
      [evaluationId],
    );
    return rows.map((r) => ({
      evaluationId,
      benchmarkIndex: r.benchmark_index,
      attempt: r.attempt,
      segment: r.segment,
      lines: r.tail.length > 0 ? r.tail.split('\n') : [],
    }));
  }
}
