import { describe, expect, it } from 'vitest';
import { checkOutboundUrl } from './url-guard.ts';

// Spellings that all reach a non-public host; every one must be refused.
const PRIVATE = [
  'http://127.0.0.1/',
  'http://127.1/',
  'http://127.0.0.255:8080/x',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0x7f.0.0.1/',
  'http://0177.0.0.1/',
  'http://017700000001/',
  'http://0/',
  'http://0.0.0.0/',
  'http://10.0.0.1/',
  'http://10.255.255.255/',
  'http://167772161/',
  'http://172.16.0.1/',
  'http://172.31.255.254/',
  'http://192.168.1.1/',
  'http://0xc0a80101/',
  'http://3232235777/',
  'http://169.254.169.254/latest/meta-data/',
  'http://0xa9fea9fe/',
  'http://100.64.0.1/',
  'http://100.127.255.254/',
  'http://198.18.0.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[::1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::127.0.0.1]/',
  'http://[2002:7f00:1::]/',
  'http://[::ffff:0:7f00:1]/',
  'http://[64:ff9b:1::a00:1]/',
  'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  'http://[fc00::1]/',
  'http://[fd12:3456:789a::1]/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://localhost/',
  'http://LOCALHOST:3000/',
  'http://localhost./',
  'http://localhost../',
  'https://localhost.../x',
  'https://a..example.com/',
  'http://api.localhost/',
  'http://printer.local/',
  'http://db.internal/',
  'http://intranet/',
  'http://127.0.0.1.:80/',
];

const REFUSED_OTHERWISE = [
  'ftp://example.com/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'https://user:pass@example.com/',
  'https://:pass@example.com/',
  'not a url',
  '//example.com/x',
];

const PUBLIC = [
  'https://example.com/webhook.php',
  'http://hooks.example.org:8080/in?x=1',
  'https://8.8.8.8/',
  'https://[2606:4700:4700::1111]/',
  'http://172.32.0.1/',
  'http://100.128.0.1/',
  'https://[::ffff:8.8.8.8]/',
];

describe('outbound URL guard', () => {
  it(`refuses ${PRIVATE.length} private, loopback and local spellings`, () => {
    expect(PRIVATE.length).toBeGreaterThanOrEqual(30);
    for (const url of PRIVATE) {
      const r = checkOutboundUrl(url);
      expect(r.ok, url).toBe(false);
    }
  });

  it('refuses other schemes, credentials and garbage', () => {
    for (const url of REFUSED_OTHERWISE) expect(checkOutboundUrl(url).ok, url).toBe(false);
    expect(checkOutboundUrl('https://user:pass@example.com/', { allowPrivate: true }).ok).toBe(false);
  });

  it('accepts public hosts', () => {
    for (const url of PUBLIC) expect(checkOutboundUrl(url).ok, url).toBe(true);
  });

  it('accepts private hosts only when allowed (ALLOW_PRIVATE_WEBHOOK_URLS)', () => {
    expect(checkOutboundUrl('http://127.0.0.1:9999/hook', { allowPrivate: true }).ok).toBe(true);
    const refused = checkOutboundUrl('http://127.0.0.1:9999/hook');
    expect(refused).toEqual({ ok: false, reason: 'host 127.0.0.1 is not public (loopback)' });
  });

  it('webhooks are https only (they carry the API key), unless private URLs are allowed for tests', () => {
    expect(checkOutboundUrl('http://hooks.example.org/in', { httpsOnly: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/only https/) });
    expect(checkOutboundUrl('https://hooks.example.org/in', { httpsOnly: true }).ok).toBe(true);
    expect(checkOutboundUrl('http://127.0.0.1:9999/hook', { httpsOnly: true, allowPrivate: true }).ok).toBe(true);
  });
});
