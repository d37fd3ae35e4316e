import { expect, it } from 'vitest';
import { ipv6Prefix64 } from './client-address.ts';

it('keys an IPv6 caller by its /64, so rotating addresses inside it escapes no limiter', () => {
  expect(ipv6Prefix64('2001:db8:1:2:aaaa:bbbb:cccc:1')).toBe('2001:db8:1:2::/64');
  expect(ipv6Prefix64('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
  expect(ipv6Prefix64('2001:0db8:0001:0002::')).toBe('2001:db8:1:2::/64');
  expect(ipv6Prefix64('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(ipv6Prefix64('::1')).toBe('0:0:0:0::/64');
  expect(ipv6Prefix64('::ffff:198.51.100.7')).toBe('198.51.100.7');
});
