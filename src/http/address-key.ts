import { isIPv4, isIPv6 } from 'node:net';

/**
 * The rate-limit bucket of a client address. IPv4 addresses count one by one. An IPv6 address
 * counts by its /64 prefix (`2001:db8:1:2::/64`): a subscriber is routinely given a whole /64
 * (RFC 6177), so per single address one caller would have 2^64 fresh buckets. An IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) is its IPv4
 * address, not the one /64 that every IPv4 caller would then share.
 */
export function addressKey(address: string): string {
  const withoutZone = address.split('%')[0]!;
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return address;
  const groups = ipv6Groups(withoutZone.toLowerCase());
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined) => (part === undefined || part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const [head, tail] = text.split('::');
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
