/**
 * The associated data every sealed value is bound to: a value copied to
 * another row, fleet or purpose does not open. Shared by the keyring and by `backup verify`, which opens a backup's
 * keys and secrets without a database.
 */
export const dataKeyAad = (fleetId: string) => `fleetvault:dek:v1:${fleetId}`;
export const vaultKeyAad = (keyId: string, purpose: string) => `fleetvault:vault-key:v1:${purpose}:${keyId}`;
export const secretsAad = (fleetId: string, credentialId: string, secretVersion: number) =>
  `fleetvault:credential-secrets:v1:${fleetId}:${credentialId}:${secretVersion}`;
/**
 * A data key wrapped in a PKCS#11 token (docs/hsm.md) is bound to its own id as well as its fleet: the
 * file provider's version 1 stays as it is so that existing rows open unchanged.
 */
export const tokenDataKeyAad = (fleetId: string, dataKeyId: string) => `fleetvault:dek:v2:${fleetId}:${dataKeyId}`;
export const webhookSecretAad = (fleetId: string, webhookId: string, version: number) =>
  `fleetvault:webhook-secret:v1:${fleetId}:${webhookId}:${version}`;
