-- 0003_experiments_by_tenant: experiments, exposures and feedback belong to a tenant.
--
-- With API keys every caller has a tenant (src/middleware/auth.ts); an experiment id, a request id
-- (callers may choose their own X-Request-Id) and the feedback on it must not be visible to, or
-- collide with, another tenant's. 0002 keyed these tables by id alone. It was never released and no
-- code wrote to its tables, so they are rebuilt here with the tenant in every key rather than
-- migrated row by row (SQLite cannot change a primary key in place). 0002 stays as it was, because
-- local databases (.wrangler/state) that already applied it must reach the same schema.
--
-- Cloudflare D1 (SQLite) enforces foreign keys. JSON columns hold JSON text checked with
-- json_valid(). Times are ISO-8601 UTC strings written by the worker from the request's clock.

DROP TABLE IF EXISTS feedback;
DROP TABLE IF EXISTS exposures;
DROP TABLE IF EXISTS experiments;

CREATE TABLE experiments (
  tenant        TEXT NOT NULL,
  id            TEXT NOT NULL,                          -- slug, also the default hash seed
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  -- JSON array of {key, weight, instruction?, template?, template_vars?}; arm 0 is the control.
  variants      TEXT NOT NULL CHECK (json_valid(variants) AND json_type(variants) = 'array'),
  coverage      REAL NOT NULL DEFAULT 1 CHECK (coverage > 0 AND coverage <= 1),
  seed          TEXT,                                   -- NULL: hash with the id (GrowthBook: seed || key)
  hash_version  INTEGER NOT NULL DEFAULT 2 CHECK (hash_version IN (1, 2)),
  status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'stopped')),
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at    TEXT,                                   -- first draft → running
  stopped_at    TEXT,                                   -- running → stopped
  version       INTEGER NOT NULL DEFAULT 1,             -- bumped on every update (optimistic concurrency)
  PRIMARY KEY (tenant, id)
);

-- One row per experimental rerank call, written after the response (waitUntil); INSERT OR IGNORE
-- on the key makes a retried write idempotent.
CREATE TABLE exposures (
  tenant         TEXT NOT NULL,
  request_id     TEXT NOT NULL,                         -- the call's X-Request-Id
  experiment_id  TEXT NOT NULL,
  variant_key    TEXT NOT NULL,
  variant_index  INTEGER NOT NULL CHECK (variant_index >= 0),
  unit_id        TEXT NOT NULL,
  -- Served document ids, rank 1 first: each document's `id`, else its request index as a string.
  ranked_ids     TEXT NOT NULL CHECK (json_valid(ranked_ids) AND json_type(ranked_ids) = 'array'),
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant, request_id),
  FOREIGN KEY (tenant, experiment_id) REFERENCES experiments (tenant, id)
);
CREATE INDEX idx_exposures_experiment ON exposures (tenant, experiment_id, variant_index);

-- Clicks, graded relevance per result, or conversions, tied to an exposure by request id.
-- experiment_id and variant_index are copied from the exposure (which never changes) so that a
-- report reads an experiment's feedback through an index instead of joining every exposure first.
CREATE TABLE feedback (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant         TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  experiment_id  TEXT NOT NULL,
  variant_index  INTEGER NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('click', 'grade', 'conversion')),
  doc_id         TEXT,                                  -- click/grade: the result's document id
  rank           INTEGER CHECK (rank IS NULL OR rank >= 1), -- 1-based rank of that result when served
  grade          REAL,                                  -- grade: graded relevance
  value          REAL,                                  -- conversion: its value (1 when none given)
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (kind = 'conversion' OR (doc_id IS NOT NULL AND rank IS NOT NULL)),
  CHECK (kind <> 'grade' OR grade IS NOT NULL),
  FOREIGN KEY (tenant, request_id) REFERENCES exposures (tenant, request_id)
);
CREATE INDEX idx_feedback_experiment ON feedback (tenant, experiment_id, kind);
CREATE INDEX idx_feedback_request ON feedback (tenant, request_id);
