import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accessTokenSigner, accessTokenVerifier, generateSigningKey, signingKeyFrom } from './signing-key.js';

const issuer = 'https://vault.example';
const kid = '01HZX0000000000000000SIGN1';
const { material, publicJwk } = generateSigningKey(kid);
const key = signingKeyFrom({ id: kid, material, publicJwk });
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('accessTokenSigner', () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: issuer, sub: 'client', fleet: 'fleet', scope: 'credentials:read', iat: now, exp: now + 60, jti: 'j' };

  it('writes a compact JWS (RFC 7515 §7.1) with the kid in its header and the claims as given', async () => {
    const [header, payload, signature, ...rest] = (await accessTokenSigner(key)(claims)).split('.');
    expect(rest).toEqual([]);
    expect(decode(header!)).toEqual({ alg: 'ES256', typ: 'JWT', kid });
    expect(decode(payload!)).toEqual(claims);
    // RFC 7518 §3.4: R || S, 64 octets, not DER.
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(64);
  });

  it('signs what the verifier and the published JWK accept, and nothing else', async () => {
    const token = await accessTokenSigner(key)(claims);
    expect(accessTokenVerifier(key, issuer)(token)).toMatchObject(claims);
    const [header, payload, signature] = token.split('.');
    const jwk = createPublicKey({ key: publicJwk as never, format: 'jwk' });
    const check = (input: string) =>
      verify('sha256', Buffer.from(input), { key: jwk, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'));
    expect(check(`${header}.${payload}`)).toBe(true);
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'credentials:write' })).toString('base64url');
    expect(check(`${header}.${forged}`)).toBe(false);
    expect(() => accessTokenVerifier(key, issuer)(`${header}.${forged}.${signature}`)).toThrow();
  });
});
