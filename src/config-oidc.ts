import fs from 'node:fs';
import { ConfigError } from './config-brand-urls.js';

/** The identity provider of person sign-in (docs/design.md §2.11, docs/sign-in.md); undefined: person sign-in is off. */
export interface OidcSettings {
  /** The IdP's issuer identifier (OIDC Discovery §4: its metadata is at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly clientId: string;
  /** Undefined: the vault is a public client of the IdP (PKCE only, RFC 7636). */
  readonly clientSecret: string | undefined;
  readonly scopes: string;
  /** What the console's button says: "Sign in with <displayName>". */
  readonly displayName: string;
}

/** The `FLEETVAULT_OIDC_*` values as src/config.ts parsed them. */
export interface OidcVariables {
  FLEETVAULT_OIDC_ISSUER?: string | undefined;
  FLEETVAULT_OIDC_CLIENT_ID?: string | undefined;
  FLEETVAULT_OIDC_CLIENT_SECRET?: string | undefined;
  FLEETVAULT_OIDC_CLIENT_SECRET_FILE?: string | undefined;
  FLEETVAULT_OIDC_SCOPES: string;
  FLEETVAULT_OIDC_DISPLAY_NAME?: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const fail = (message: string) => new ConfigError(`invalid configuration: ${message}`);

/**
 * The rules between the `FLEETVAULT_OIDC_*` variables. The issuer must be https (OIDC Discovery §4.3: its `issuer`
 * is an https URL); plain http is accepted on a loopback host only (a provider on the same machine, as in the tests).
 */
export function oidcSettingsFrom(e: OidcVariables): OidcSettings | undefined {
  const issuer = e.FLEETVAULT_OIDC_ISSUER;
  if (issuer === undefined) return undefined;
  const url = new URL(issuer);
  if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
    throw fail('FLEETVAULT_OIDC_ISSUER: must be https (http only on a loopback host)');
  }
  if (url.search !== '' || url.hash !== '') throw fail('FLEETVAULT_OIDC_ISSUER: no query or fragment (OIDC Discovery §2)');
  const clientId = e.FLEETVAULT_OIDC_CLIENT_ID;
  if (clientId === undefined || clientId === '') throw fail('FLEETVAULT_OIDC_CLIENT_ID: required with FLEETVAULT_OIDC_ISSUER');
  const secretFile = e.FLEETVAULT_OIDC_CLIENT_SECRET_FILE;
  if (e.FLEETVAULT_OIDC_CLIENT_SECRET !== undefined && secretFile !== undefined) {
    throw fail('set FLEETVAULT_OIDC_CLIENT_SECRET or FLEETVAULT_OIDC_CLIENT_SECRET_FILE, not both');
  }
  let clientSecret = e.FLEETVAULT_OIDC_CLIENT_SECRET;
  if (secretFile !== undefined) {
    try {
      clientSecret = fs.readFileSync(secretFile, 'utf8').trim();
    } catch (error) {
      throw fail(`FLEETVAULT_OIDC_CLIENT_SECRET_FILE: ${(error as Error).message}`);
    }
  }
  const scopes = e.FLEETVAULT_OIDC_SCOPES.split(/\s+/);
  // OIDC Core §3.1.2.1: without `openid` the request is plain OAuth and no ID token comes back.
  if (!scopes.includes('openid')) throw fail('FLEETVAULT_OIDC_SCOPES: must include openid');
  return Object.freeze({
    issuer,
    clientId,
    clientSecret,
    scopes: scopes.join(' '),
    displayName: e.FLEETVAULT_OIDC_DISPLAY_NAME ?? url.hostname,
  });
}
