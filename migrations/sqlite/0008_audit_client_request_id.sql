-- fleetvault schema 0008: the caller's own X-Request-Id beside the request id the server generated
-- (docs/security.md). request_id is always ours; NULL here when the caller sent none (and for every older event).
ALTER TABLE audit_events ADD COLUMN client_request_id TEXT;
