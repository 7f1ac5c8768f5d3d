/**
 * The associated data every sealed value is bound to: a value copied to
 * another row, fleet or purpose does not open. Shared by the keyring and by `backup verify`, which opens a backup's
 * keys and secrets without a database.
 */
export const dataKeyAad = (fleetId: string) => `fleetvault:dek:v1:${fleetId}`;
export const vaultKeyAad = (keyId: string, purpose: string) => `fleetvault:vault-key:v1:${purpose}:${keyId}`;
export const secretsAad = (fleetId: string, credentialId: string, secretVersion: number) =>
  `fleetvault:credential-secrets:v1:${fleetId}:${credentialId}:${secretVersion}`;
export const webhookSecretAad = (fleetId: string, webhookId: string, version: number) =>
  `fleetvault:webhook-secret:v1:${fleetId}:${webhookId}:${version}`;
