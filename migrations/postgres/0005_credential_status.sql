-- fleetvault schema 0005: the last brand token exchange's verdict per credential (DESIGN.md §2.9),
-- set by each upstream exchange (not by cache hits) and reset to 'unknown' by a rotation.
ALTER TABLE credentials ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'
  CHECK (status IN ('unknown', 'authorized', 'rejected', 'unreachable'));
ALTER TABLE credentials ADD COLUMN status_checked_at TEXT;
