-- 0002_experiments: instruction A/B experiments, their exposures and the feedback on them.
-- Cloudflare D1 (SQLite). JSON columns hold JSON text and are checked with json_valid().
-- Times are ISO-8601 UTC strings. The worker writes them (from the `now` it passes around, so tests
-- are reproducible), the defaults only guard against an insert that forgets them.

CREATE TABLE IF NOT EXISTS experiments (
  id            TEXT PRIMARY KEY,                       -- slug, also the default hash seed
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  -- JSON array of {key, weight, instruction?, template?, template_vars?}, arm 0 the control.
  variants      TEXT NOT NULL CHECK (json_valid(variants) AND json_type(variants) = 'array'),
  coverage      REAL NOT NULL DEFAULT 1 CHECK (coverage > 0 AND coverage <= 1),
  seed          TEXT,                                   -- NULL: hash with the id (GrowthBook: seed || key)
  hash_version  INTEGER NOT NULL DEFAULT 2 CHECK (hash_version IN (1, 2)),
  status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'stopped')),
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  version       INTEGER NOT NULL DEFAULT 1              -- bumped on every update (optimistic concurrency)
);

-- One row per experimental rerank call, written after the response (waitUntil).
CREATE TABLE IF NOT EXISTS exposures (
  request_id     TEXT PRIMARY KEY,                      -- the call's X-Request-Id
  experiment_id  TEXT NOT NULL REFERENCES experiments(id),
  variant_key    TEXT NOT NULL,
  variant_index  INTEGER NOT NULL CHECK (variant_index >= 0),
  unit_id        TEXT NOT NULL,
  ranked_ids     TEXT NOT NULL CHECK (json_valid(ranked_ids) AND json_type(ranked_ids) = 'array'),
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_exposures_experiment ON exposures (experiment_id);

-- Clicks, graded relevance per result, or conversions, tied to an exposure by request id.
CREATE TABLE IF NOT EXISTS feedback (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id  TEXT NOT NULL REFERENCES exposures(request_id),
  kind        TEXT NOT NULL CHECK (kind IN ('click', 'grade', 'conversion')),
  doc_id      TEXT,                                     -- click/grade: the result's document id
  rank        INTEGER CHECK (rank IS NULL OR rank >= 1),-- 1-based rank of that result when served
  grade       REAL,                                     -- grade: graded relevance
  value       REAL,                                     -- conversion: optional value
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (kind <> 'grade' OR grade IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS idx_feedback_request ON feedback (request_id);
