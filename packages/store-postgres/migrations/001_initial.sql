-- Eval Hub on PostgreSQL, schema version 1.
-- Evaluations are JSON documents (type json keeps the document's text as written) with the
-- filterable fields in indexed columns; `ordinal` orders them (newest first by keyset pagination).

CREATE TABLE evaluations (
  ordinal bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  status text NOT NULL,
  experiment text,
  model text NOT NULL,
  providers text[] NOT NULL,
  tags jsonb NOT NULL DEFAULT '{}',
  idempotency_key text UNIQUE,
  doc json NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Work ownership by lease (several hub replicas): the holder, its fencing token (grows on every
  -- claim, never reset) and when the lease ends.
  lease_owner text,
  lease_token bigint NOT NULL DEFAULT 0,
  lease_expires_at timestamptz
);

-- One index per filter shape of the list query, each ending in ordinal so that a page is read in
-- order from the index; providers and tags are matched by containment through GIN indexes.
CREATE INDEX evaluations_status ON evaluations (status, ordinal);
CREATE INDEX evaluations_experiment ON evaluations (experiment, ordinal);
CREATE INDEX evaluations_model ON evaluations (model, ordinal);
CREATE INDEX evaluations_providers ON evaluations USING gin (providers);
CREATE INDEX evaluations_tags ON evaluations USING gin (tags jsonb_path_ops);
-- Recovery and claims look only at unfinished evaluations.
CREATE INDEX evaluations_unfinished ON evaluations (ordinal) WHERE status IN ('pending', 'running');

CREATE TABLE collections (
  id text PRIMARY KEY,
  doc json NOT NULL
);

-- The tracking outbox: ops journaled before they are sent to the tracker, in order per evaluation.
CREATE TABLE tracking_ops (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  evaluation_id text NOT NULL,
  op json NOT NULL
);
CREATE INDEX tracking_ops_evaluation ON tracking_ops (evaluation_id, seq);

-- Messages between replicas (ReplicaEvents): NOTIFY wakes the listeners, this table is what they
-- read, so a listener that was disconnected catches up and polling works without LISTEN.
CREATE TABLE replica_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic text NOT NULL,
  origin text NOT NULL,
  payload json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replica_events_created ON replica_events (created_at);
