-- fleetvault schema 0003: Idempotency-Key on POST /{brand}/credentials (DESIGN.md §2.1).
-- One row per (fleet, key): a keyed hash of the request (never the body, which holds secrets)
-- and the first response's credential view, replayed for 24 h.
CREATE TABLE idempotency_keys (
  fleet_id          TEXT NOT NULL REFERENCES fleets(id),
  idempotency_key   TEXT NOT NULL,
  request_hash      TEXT NOT NULL,
  response_body     TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  PRIMARY KEY (fleet_id, idempotency_key)
);
