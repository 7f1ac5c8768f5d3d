import { describe, expect, it } from 'vitest';
import { isAllowedHost, parseAllowHosts, refusedClass } from './webhook-address.js';

describe('refusedClass', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(refusedClass(address)).toBe(kind);
  });

  it.each(['93.184.216.34', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(refusedClass(address)).toBeUndefined();
  });
});

describe('allow-listed hosts', () => {
  const allowed = parseAllowHosts(' hooks.internal:8443, 127.0.0.1 ,[::1]:9000');

  it('matches a host on any port, or on the port given', () => {
    expect(isAllowedHost(new URL('http://127.0.0.1:1234/x'), allowed)).toBe(true);
    expect(isAllowedHost(new URL('https://hooks.internal:8443/'), allowed)).toBe(true);
    expect(isAllowedHost(new URL('https://hooks.internal/'), allowed)).toBe(false);
    expect(isAllowedHost(new URL('http://[::1]:9000/'), allowed)).toBe(true);
    expect(isAllowedHost(new URL('http://[::1]:9001/'), allowed)).toBe(false);
    expect(isAllowedHost(new URL('https://127.0.0.2/'), allowed)).toBe(false);
  });

  it('refuses what is not host[:port]', () => {
    expect(() => parseAllowHosts('http://x/')).toThrow(TypeError);
  });
});
