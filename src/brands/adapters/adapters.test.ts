import { describe, expect, it } from 'vitest';
import type { ExchangeInput } from '../brand-adapter.js';
import { targetUrl } from '../../exchange/brand-http-client.js';
import { exchangeAdapters as adapters } from '../brand-registry.js';
import { MAX_LIFETIME_SECONDS } from './oauth-client-credentials.js';

const input = (fields: Record<string, string>, secrets: Record<string, string> = { client_secret: 's', password: 'p' }): ExchangeInput => ({
  fields,
  secrets,
  scope: undefined,
  now: new Date('2026-11-23T10:00:00Z'),
  newJti: () => '00000000-0000-4000-8000-000000000000',
});

const urlOf = (brand: string, fields: Record<string, string>) => adapters.get(brand)!.buildRequest(input(fields)).url;

describe('documented hosts (docs/design.md §2.9)', () => {
  it.each([
    ['segway', { client_id: 'A1', region: 'asia' }, 'https://apac-api.segwaydiscovery.com/oauth/token'],
    ['segway', { client_id: 'E1', region: 'eu' }, 'https://eu-api.segwaydiscovery.com/oauth/token'],
    ['segway', { client_id: 'U1', region: 'us' }, 'https://us-api.segwaydiscovery.com/oauth/token'],
    ['segway', { client_id: 'C1', region: 'cn' }, 'https://cn-api.segwaydiscovery.com/oauth/token'],
    ['tesla', { client_id: 't', region: 'na' }, 'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token'],
    ['tesla', { client_id: 't', region: 'eu' }, 'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token'],
    ['tesla', { client_id: 't', region: 'cn' }, 'https://auth.tesla.cn/oauth2/v3/token'],
    ['high-mobility', { client_id: 'h', environment: 'sandbox' }, 'https://sandbox.api.high-mobility.com/v1/access_tokens'],
    ['high-mobility', { client_id: 'h', environment: 'production' }, 'https://api.high-mobility.com/v1/access_tokens'],
    ['openobd', { client_id: 'o', cluster_id: '001' }, 'https://partner-api-001.prd.jifeline.cloud/oauth2/token'],
    ['smartcar', { client_id: 's' }, 'https://iam.smartcar.com/oauth2/token'],
    ['enode', { client_id: 'e', environment: 'sandbox' }, 'https://oauth.sandbox.enode.io/oauth2/token'],
    ['enode', { client_id: 'e', environment: 'production' }, 'https://oauth.production.enode.io/oauth2/token'],
    ['geotab', { database: 'd', username: 'u', server: 'my3.geotab.com' }, 'https://my3.geotab.com/apiv1'],
  ])('%s %j → %s', (brand, fields, url) => {
    expect(urlOf(brand, fields)).toBe(url);
  });

  it('tesla: the audience is the region\u2019s Fleet API base', () => {
    const body = (region: string) =>
      new URLSearchParams(adapters.get('tesla')!.buildRequest(input({ client_id: 't', region })).body).get('audience');
    expect([body('na'), body('eu'), body('cn')]).toEqual([
      'https://fleet-api.prd.na.vn.cloud.tesla.com',
      'https://fleet-api.prd.eu.vn.cloud.tesla.com',
      'https://fleet-api.prd.cn.vn.cloud.tesla.cn',
    ]);
  });

  it('FLEETVAULT_BRAND_URL_<SLUG> swaps the origin only: same path, for every region', () => {
    const origins = { segway: 'http://127.0.0.1:9401' };
    expect(targetUrl('segway', 'https://apac-api.segwaydiscovery.com/oauth/token', origins).href).toBe('http://127.0.0.1:9401/oauth/token');
    expect(targetUrl('segway', 'https://us-api.segwaydiscovery.com/oauth/token', origins).href).toBe('http://127.0.0.1:9401/oauth/token');
    expect(targetUrl('tesla', 'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token', origins).href).toBe(
      'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token',
    );
  });
});

describe('answers', () => {
  const oauth = adapters.get('smartcar')!;
  it.each([
    [
      200,
      { access_token: 'tok', token_type: 'Bearer', expires_in: 3600 },
      { kind: 'token', token: { access_token: 'tok', token_type: 'Bearer', expires_in: 3600, scope: undefined } },
    ],
    [200, { token_type: 'Bearer' }, { kind: 'unusable', code: undefined }],
    [200, { access_token: 'tok', expires_in: -5 }, { kind: 'unusable', code: undefined }],
    [200, { access_token: 'tok', expires_in: 'abc' }, { kind: 'unusable', code: undefined }],
    [200, { access_token: 'tok', expires_in: null }, { kind: 'unusable', code: undefined }],
    [
      200,
      { access_token: 'tok', token_type: 'Bearer', expires_in: 1e13 },
      { kind: 'token', token: { access_token: 'tok', token_type: 'Bearer', expires_in: 86_400, scope: undefined } },
    ],
    [401, { error: 'invalid_client', error_description: 'secret s is wrong' }, { kind: 'rejected', code: 'invalid_client' }],
    [400, undefined, { kind: 'rejected', code: undefined }],
    [404, { error: 'not_found' }, { kind: 'unusable', code: 'not_found' }],
  ])('RFC 6749 endpoint: %i %j', (status, body, expected) => {
    expect(oauth.readAnswer(status, body, {})).toEqual(expected);
  });

  it('geotab: InvalidUserException is a refusal, DbUnavailableException is not', () => {
    const geotab = adapters.get('geotab')!;
    const error = (name: string) => ({ error: { name: 'JSONRPCError', message: 'x', errors: [{ name, message: 'x' }] } });
    expect(geotab.readAnswer(200, error('InvalidUserException'), {})).toEqual({ kind: 'rejected', code: 'InvalidUserException' });
    expect(geotab.readAnswer(200, error('DbUnavailableException'), {})).toEqual({ kind: 'unusable', code: 'DbUnavailableException' });
  });
});

describe('every adapter caps the lifetime it believes (docs/brands.md "Token lifetimes")', () => {
  const geotabLogin = { result: { credentials: { database: 'd', sessionId: 's', userName: 'u' }, path: 'ThisServer' }, expires_in: 1e13 };
  it.each([...adapters.keys()])('%s: an announced lifetime of 1e13 s is cached for at most a day', (brand) => {
    const body = brand === 'geotab' ? geotabLogin : { access_token: 'tok', token_type: 'Bearer', expires_in: 1e13 };
    const read = adapters.get(brand)!.readAnswer(200, body, { server: 'my.geotab.com' });
    expect(read.kind).toBe('token');
    const lifetime = read.kind === 'token' ? read.token.expires_in : NaN;
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(MAX_LIFETIME_SECONDS);
  });
});
