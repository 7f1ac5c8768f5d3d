import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import type { TestApp } from './test-app.js';

/** A key client made through POST /clients (the vault generates the pair) and its private key. */
export async function newKeyClient(t: TestApp, adminToken: string, scopes: string[] = ['credentials:read', 'vehicles:read']) {
  const res = await t.call(adminToken, 'POST', '/clients', { kind: 'key', name: 'service account', scopes });
  if (res.statusCode !== 201) throw new Error(`key client creation failed: ${res.statusCode} ${res.body}`);
  const keyFile = res.json() as {
    id: string;
    private_key: string;
    token_uri: string;
    instance_uri: string;
    fleet_id: string;
    scopes: string[];
  };
  return { keyFile, privateKey: createPrivateKey(keyFile.private_key) };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed ES256 (R||S) by `key`, with any header and claims: for building attacks. */
export function signEs256(
  claims: Record<string, unknown>,
  key: KeyObject,
  header: Record<string, unknown> = { alg: 'ES256', typ: 'JWT' },
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Standard assertion claims for `iss` at time `nowSeconds`, HM style (ver 2, uuid v4 jti). */
export function assertionClaims(iss: string, aud: string, nowSeconds: number, extra: Record<string, unknown> = {}) {
  return { ver: 2, iss, aud, iat: nowSeconds, jti: uuidv4(), ...extra };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function otherP256Key(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}
