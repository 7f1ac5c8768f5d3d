-- fleetvault schema 0014: the short-lived rows of person sign-in (docs/sign-in.md), in the database so that any replica
-- can finish a flow another began. Secrets of the flows are kept as SHA-256 hashes (a reader of the database cannot redeem
-- them); no token of the identity provider and not the vault's client secret is ever stored.

-- A round trip to the identity provider, keyed by the hash of its `state` (RFC 6749 §10.12); `nonce` (OIDC Core §3.1.2.1)
-- and the PKCE verifier toward the provider (RFC 7636 §4.1) are needed to check its answer. `purpose` is 'console' (then the
-- console's own redirect_uri, state and code_challenge) or 'device' (then the user code being confirmed). Single use.
CREATE TABLE sign_in_states (
  state_hash      TEXT PRIMARY KEY,
  nonce           TEXT NOT NULL,
  code_verifier   TEXT NOT NULL,
  purpose         TEXT NOT NULL,
  redirect_uri    TEXT,
  client_state    TEXT,
  code_challenge  TEXT,
  user_code       TEXT,
  expires_at      TEXT NOT NULL
);
CREATE INDEX sign_in_states_expiry ON sign_in_states (expires_at);

-- The console's one-time codes (RFC 6749 §4.1.2: 60 s, single use), bound to its PKCE challenge (RFC 7636 §4.6) and
-- redirect_uri; `identity` is the verified identity (issuer, subject, email, name, claims) as JSON.
CREATE TABLE sign_in_codes (
  code_hash       TEXT PRIMARY KEY,
  identity        TEXT NOT NULL,
  redirect_uri    TEXT NOT NULL,
  code_challenge  TEXT NOT NULL,
  expires_at      TEXT NOT NULL
);
CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);

-- Device authorizations (RFC 8628 §3.2): status 'pending' → 'signed_in' (the person signed in at the provider; the
-- confirmation form's hash in confirm_hash) → 'approved' or 'denied'; the device code is deleted when redeemed.
CREATE TABLE device_authorizations (
  device_code_hash  TEXT PRIMARY KEY,
  user_code         TEXT NOT NULL UNIQUE,
  fleet_id          TEXT,
  status            TEXT NOT NULL,
  identity          TEXT,
  confirm_hash      TEXT,
  interval_seconds  INTEGER NOT NULL,
  last_polled_at    TEXT,
  expires_at        TEXT NOT NULL
);
CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);
