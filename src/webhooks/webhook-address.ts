import { BlockList, isIP } from 'node:net';

/**
 * The address classes a webhook may not reach unless its host is allow-listed (docs/design.md §2.13): a
 * subscription must not turn the vault into a proxy onto its own network (SSRF). Checked on the resolved
 * address, never on the host name, at create and at each delivery.
 */
export type RefusedClass = 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved';

const ranges: [RefusedClass, string, number, 'ipv4' | 'ipv6'][] = [
  // RFC 1122 §3.2.1.3 and RFC 4291 §2.5.3
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  // RFC 1918, RFC 6598 (carrier-grade NAT), RFC 4193 (unique local)
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'],
  ['private', 'fc00::', 7, 'ipv6'],
  // RFC 3927, RFC 4291 §2.5.6
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  // RFC 5771, RFC 4291 §2.7
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  // "This network" (0.0.0.0 reaches the local host on Linux), RFC 1112 reserved + broadcast, the unspecified address
  ['reserved', '0.0.0.0', 8, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['reserved', '::', 128, 'ipv6'],
];

const lists = new Map<RefusedClass, BlockList>();
for (const [kind, network, prefix, family] of ranges) {
  let list = lists.get(kind);
  if (list === undefined) lists.set(kind, (list = new BlockList()));
  list.addSubnet(network, prefix, family);
}

/** `::ffff:a.b.c.d` (or its hex spelling `::ffff:7f00:1`, as the WHATWG URL parser writes it) → `a.b.c.d`. */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The refused class of an IP address, or undefined when it is a public unicast address. */
export function refusedClass(address: string): RefusedClass | undefined {
  const v4 = isIP(address) === 6 ? mappedIpv4(address) : address;
  const family = v4 !== undefined && isIP(v4) === 4 ? 'ipv4' : 'ipv6';
  const subject = family === 'ipv4' ? v4! : address;
  for (const [kind, list] of lists) if (list.check(subject, family)) return kind;
  return undefined;
}

/** One `FLEETVAULT_WEBHOOK_ALLOW_HOSTS` entry: a host, and a port when one was given. */
export interface AllowedHost {
  host: string;
  port?: number | undefined;
}

/** `a.example:8443,127.0.0.1,[::1]:9000` → entries (the config has already checked the syntax). */
export function parseAllowHosts(text: string): AllowedHost[] {
  return text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
      if (!match) throw new TypeError(`not a host[:port]: ${entry}`);
      return { host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2] === undefined ? undefined : Number(match[2]) };
    });
}

/** True when the URL's host (and port, when the entry names one) is allow-listed. */
export function isAllowedHost(url: URL, allowed: readonly AllowedHost[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return allowed.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));
}
