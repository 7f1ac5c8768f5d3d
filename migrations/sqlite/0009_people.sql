-- fleetvault schema 0009: people sign in through the organisation's identity provider (docs/design.md §2.11).
-- A sign-in rule grants the people whose ID token carries `claim` = `equals` some scopes in one fleet
-- (restriction: JSON {"brands": [...], "credential_ids": [...]} as api_clients.restriction; NULL: the whole fleet).
-- Deleted rules are kept (deleted_at) as deleted clients are: their people's tokens are refused within 5 s.
CREATE TABLE sign_in_rules (
  id           TEXT PRIMARY KEY,
  fleet_id     TEXT NOT NULL REFERENCES fleets(id),
  claim        TEXT NOT NULL,
  equals       TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  restriction  TEXT,
  created_at   TEXT NOT NULL,
  deleted_at   TEXT
);
CREATE INDEX sign_in_rules_fleet_live ON sign_in_rules (fleet_id, deleted_at, id);
CREATE INDEX sign_in_rules_claim ON sign_in_rules (claim, deleted_at);

-- One row per person of the identity provider (issuer + subject, OIDC Core §2: the pair is the stable identifier).
-- No token of the identity provider is ever stored.
CREATE TABLE people (
  id                  TEXT PRIMARY KEY,
  issuer              TEXT NOT NULL,
  subject             TEXT NOT NULL,
  email               TEXT,
  name                TEXT,
  first_signed_in_at  TEXT NOT NULL,
  last_signed_in_at   TEXT NOT NULL,
  UNIQUE (issuer, subject)
);

-- The fleets a person has signed in to (GET /people lists a fleet's).
CREATE TABLE fleet_people (
  fleet_id            TEXT NOT NULL REFERENCES fleets(id),
  person_id           TEXT NOT NULL REFERENCES people(id),
  first_signed_in_at  TEXT NOT NULL,
  last_signed_in_at   TEXT NOT NULL,
  PRIMARY KEY (fleet_id, person_id)
);

-- A person actor's label (email or name) beside its id; NULL for every other actor and every older event.
ALTER TABLE audit_events ADD COLUMN actor_label TEXT;
