-- fleetvault schema 0009 for PostgreSQL: same tables, numbering and meaning as migrations/sqlite/0009_people.sql.
CREATE TABLE sign_in_rules (
  id           TEXT COLLATE "C" PRIMARY KEY,
  fleet_id     TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  claim        TEXT COLLATE "C" NOT NULL,
  equals       TEXT COLLATE "C" NOT NULL,
  scopes       TEXT NOT NULL,
  restriction  TEXT,
  created_at   TEXT NOT NULL,
  deleted_at   TEXT
);
CREATE INDEX sign_in_rules_fleet_live ON sign_in_rules (fleet_id, deleted_at, id);
CREATE INDEX sign_in_rules_claim ON sign_in_rules (claim, deleted_at);

CREATE TABLE people (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  issuer              TEXT COLLATE "C" NOT NULL,
  subject             TEXT COLLATE "C" NOT NULL,
  email               TEXT,
  name                TEXT,
  first_signed_in_at  TEXT NOT NULL,
  last_signed_in_at   TEXT NOT NULL,
  CONSTRAINT people_issuer_subject UNIQUE (issuer, subject)
);

CREATE TABLE fleet_people (
  fleet_id            TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  person_id           TEXT COLLATE "C" NOT NULL REFERENCES people(id),
  first_signed_in_at  TEXT NOT NULL,
  last_signed_in_at   TEXT NOT NULL,
  CONSTRAINT fleet_people_pkey PRIMARY KEY (fleet_id, person_id)
);

ALTER TABLE audit_events ADD COLUMN actor_label TEXT;
