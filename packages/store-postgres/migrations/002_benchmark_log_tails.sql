-- Eval Hub on PostgreSQL, schema version 2.
-- Bounded tails of the benchmarks' execution logs (LogTails), so that any replica answers for a log
-- another one wrote: one row per segment (one run of one attempt on one replica), read in the
-- order the segments began.

CREATE TABLE benchmark_log_tails (
  ordinal bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  segment text NOT NULL UNIQUE,
  evaluation_id text NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
  benchmark_index integer NOT NULL,
  attempt integer NOT NULL,
  -- The lines, joined by newlines.
  tail text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX benchmark_log_tails_evaluation ON benchmark_log_tails (evaluation_id, benchmark_index, ordinal);
