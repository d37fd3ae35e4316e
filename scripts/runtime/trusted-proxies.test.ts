import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, parseTrustedProxies } from './trusted-proxies.ts';

describe('parseTrustedProxies', () => {
  it('takes IPv4 and IPv6 addresses and CIDRs', () => {
    const t = parseTrustedProxies(' 10.0.0.0/8, 192.168.1.5 ,fd00::/8,::1 ');
    expect(t.entries).toEqual(['10.0.0.0/8', '192.168.1.5', 'fd00::/8', '::1']);
    for (const ip of ['10.1.2.3', '192.168.1.5', '::ffff:10.9.9.9', 'fd12::1', '::1']) expect(t.has(ip), ip).toBe(true);
    for (const ip of ['192.168.1.6', '11.0.0.1', 'fe80::1', '::2', 'garbage']) expect(t.has(ip), ip).toBe(false);
  });

  it('trusts nobody by default', () => {
    for (const spec of [undefined, '', ' , ']) expect(parseTrustedProxies(spec).has('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.0/8/1', '10.0.0.0/', '1.2.3.4/x'])('refuses %s', (spec) => {
    expect(() => parseTrustedProxies(spec)).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('clientAddress', () => {
  const none = parseTrustedProxies('');
  const trusted = parseTrustedProxies('10.0.0.0/8,2001:db8:aa::/48');

  it('is the socket address when the socket is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '1.1.1.1', none)).toBe('203.0.113.9');
    expect(clientAddress('::ffff:203.0.113.9', '1.1.1.1', trusted)).toBe('203.0.113.9');
    expect(clientAddress('2001:db8:bb::1', '1.1.1.1', trusted)).toBe('2001:db8:bb::1');
  });

  it('is the rightmost untrusted X-Forwarded-For entry behind trusted proxies', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.9', trusted)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.7:5555', trusted)).toBe('198.51.100.7');
  });

  it('works for IPv6 proxies and clients', () => {
    expect(clientAddress('2001:db8:aa::10', '2001:DB8:CC::1', trusted)).toBe('2001:db8:cc::1');
    expect(clientAddress('2001:db8:aa::10', '6.6.6.6, [2001:db8:cc::1]:443, 2001:db8:aa::11', trusted)).toBe('2001:db8:cc::1');
    expect(clientAddress('2001:db8:aa::10', '::ffff:198.51.100.7', trusted)).toBe('198.51.100.7');
  });

  it('stops at the last trusted hop on an unreadable entry, and without X-Forwarded-For', () => {
    expect(clientAddress('10.0.0.2', '6.6.6.6, unknown', trusted)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', '6.6.6.6, garbage, 10.0.0.3', trusted)).toBe('10.0.0.3');
    expect(clientAddress('10.0.0.2', undefined, trusted)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', '10.0.0.3, 10.0.0.4', trusted)).toBe('10.0.0.3');
  });

  it('normalizes addresses', () => {
    expect(normalizeAddress('::FFFF:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeAddress('nope')).toBeUndefined();
  });
});
