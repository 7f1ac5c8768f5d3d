-- fleetvault schema 0007: grants narrower than a fleet (docs/grants.md). A client may be restricted to
-- credentials of some brands and/or some credential ids: JSON {"brands": [...], "credential_ids": [...]}.
-- NULL: the whole fleet, as every client before this migration.
ALTER TABLE api_clients ADD COLUMN restriction TEXT;
