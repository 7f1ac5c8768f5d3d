import { describe, expect, it } from 'vitest';
import { addressKey } from './address-key.js';

describe('addressKey', () => {
  it('buckets IPv6 addresses by their /64 prefix', () => {
    expect(addressKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::9')).toBe(addressKey('2001:db8:1:2::5'));
    expect(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::5')).toBe('2001:db8:1:3::/64');
    expect(addressKey('2001:db8::1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps IPv4 addresses apart, IPv4-mapped IPv6 included', () => {
    expect(addressKey('203.0.113.5')).toBe('203.0.113.5');
    expect(addressKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(addressKey('::ffff:cb00:7106')).toBe('203.0.113.6');
    expect(addressKey('::ffff:203.0.113.5')).not.toBe(addressKey('::ffff:203.0.113.6'));
  });

  it('leaves anything else as it is', () => {
    expect(addressKey('not-an-address')).toBe('not-an-address');
  });
});
