import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type AllowedHost, isAllowedHost, refusedClass } from './webhook-address.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name (injected so tests can make a name resolve to a private address). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface WebhookUrlRules {
  allowHosts: readonly AllowedHost[];
  resolve: ResolveHost;
}

/** The URL the rules admit, with the address to connect to, or why it is refused (a sentence for a 422 or a delivery's last_error). */
export type UrlVerdict = { ok: true; url: URL; allowListed: boolean; address?: ResolvedAddress } | { ok: false; reason: string };

const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/**
 * The URL rules of docs/design.md §2.13: `https:` only, no user info; the host's addresses, after DNS, must all
 * be public unicast (one private answer among public ones is enough to refuse: the connection could take it).
 * An allow-listed host (FLEETVAULT_WEBHOOK_ALLOW_HOSTS) may be private and may use `http:`. Checked at create
 * and at each delivery, where the connection then goes to the very address checked (no second lookup that a
 * rebinding DNS server could answer differently).
 */
export async function checkWebhookUrl(raw: string, rules: WebhookUrlRules): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  const allowListed = isAllowedHost(url, rules.allowHosts);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowListed)) return { ok: false, reason: 'must be an https:// URL' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not hold a user name or password' };
  if (allowListed) return { ok: true, url, allowListed };
  const host = bareHost(url);
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await rules.resolve(host);
    } catch {
      return { ok: false, reason: `host ${host} does not resolve` };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  for (const { address } of addresses) {
    const kind = refusedClass(address);
    if (kind !== undefined) return { ok: false, reason: `host ${host} resolves to a ${kind} address, which webhooks may not reach` };
  }
  return { ok: true, url, allowListed, address: addresses[0]! };
}
