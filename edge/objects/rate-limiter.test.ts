import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, type RuleName } from '../lib/rate-rules.ts';
import { LEASE_MS } from '../middleware/slot-leases.ts';
import { call, login, newDevice, newUser, postAndroid, smsPayload } from '../test/helpers.ts';
import type { RateLimiter } from './rate-limiter.ts';

const stubFor = (name: string) => env.RATE_LIMITER.getByName(name);

describe('RateLimiter Durable Object', () => {
  for (const [name, rule] of Object.entries(DEFAULT_RULES) as [RuleName, { limit: number; windowSec: number }][]) {
    it(`${name}: allows exactly ${rule.limit} per ${rule.windowSec}s, refuses the next, also after eviction`, async () => {
      const stub = stubFor(`${name}:test-${Math.random()}`);
      const windowMs = rule.windowSec * 1000;
      const half = Math.floor(rule.limit / 2);
      for (let i = 0; i < half; i++) expect((await stub.hit(rule.limit, windowMs)).allowed).toBe(true);
      await evictDurableObject(stub);
      for (let i = half; i < rule.limit; i++) {
        const r = await stub.hit(rule.limit, windowMs);
        expect(r.allowed).toBe(true);
        expect(r.remaining).toBe(rule.limit - i - 1);
      }
      const refused = await stub.hit(rule.limit, windowMs);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(windowMs);
      await evictDurableObject(stub);
      expect((await stub.hit(rule.limit, windowMs)).allowed).toBe(false);
      expect((await stub.peek(rule.limit, windowMs)).allowed).toBe(false);
    });
  }

  it('lets hits leave the window and refused hits never count', async () => {
    const stub = stubFor(`slide:${Math.random()}`);
    await runInDurableObject(stub, (instance: RateLimiter) => {
      const realNow = Date.now;
      let now = 1_000_000;
      Date.now = () => now;
      try {
        expect(instance.hit(2, 1000).allowed).toBe(true);
        now += 600;
        expect(instance.hit(2, 1000).allowed).toBe(true);
        for (let i = 0; i < 5; i++) expect(instance.hit(2, 1000).allowed).toBe(false);
        expect(instance.hit(2, 1000).retryAfterMs).toBe(400);
        now += 401;
        expect(instance.hit(2, 1000).allowed).toBe(true);
        expect(instance.hit(2, 1000).allowed).toBe(false);
      } finally {
        Date.now = realNow;
      }
    });
  });

  it('its alarm clears the hits that left the window, and only those', async () => {
    const stub = stubFor(`alarm:${Math.random()}`);
    await stub.hit(1, 60_000);
    expect((await stub.hit(1, 60_000)).allowed).toBe(false);
    // an alarm that fires while the hit is still in its window keeps it
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.hit(1, 60_000)).allowed).toBe(false);
    const short = stubFor(`alarm-short:${Math.random()}`);
    await short.hit(1, 100);
    await new Promise((r) => setTimeout(r, 150));
    expect(await runDurableObjectAlarm(short)).toBe(true);
    await runInDurableObject(short, (_, state) => expect(state.storage.sql.exec('SELECT count(*) AS n FROM hits').one().n).toBe(0));
    expect((await short.hit(1, 100)).allowed).toBe(true);
  });
});

describe('limiter middleware over HTTP', () => {
  it('sends RateLimit headers and answers the 101st /api call in 15 minutes with 429 + Retry-After', async () => {
    const u = await newUser();
    const ip = '100.64.7.7';
    for (let i = 0; i < 100; i++) {
      const res = await call('/api/clients', { key: u.apiKey, ip });
      expect(res.status).toBe(200);
      if (i === 0) {
        expect(res.headers.get('ratelimit-policy')).toBe('100;w=900');
        expect(res.headers.get('ratelimit-remaining')).toBe('99');
      }
    }
    await evictDurableObject(stubFor(`api:${ip}`));
    const limited = await call('/api/clients', { key: u.apiKey, ip });
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect((await call('/api/clients', { key: u.apiKey, ip: '100.64.7.8' })).status).toBe(200);
  });

  it("limits the spec's root-level routes like /api/*", async () => {
    const u = await newUser();
    const ip = '100.64.8.1';
    let last = 0;
    for (let i = 0; i < 101; i++) last = (await call('/scheduled-messages', { key: u.apiKey, ip })).status;
    expect(last).toBe(429);
  });

  it('dashboard reads (a login, no key, GET) have their own, larger rule; writes stay under the API’s 100', async () => {
    const u = await newUser();
    const cookie = await login(u.username, u.password);
    const ip = '100.64.8.2';
    for (let i = 0; i < 101; i++) expect((await call('/auth/me', { cookie, ip })).status).toBe(200);
    expect((await call('/api/clients', { key: u.apiKey, ip })).headers.get('ratelimit-remaining')).toBe('99');
    const first = await call('/api/clients', { cookie, ip });
    expect(first.headers.get('ratelimit-policy')).toBe('1000;w=900');
    // a write counts against the API's rule: a script that logs in sends no more than the API allows
    const write = await call('/api/schedule-message', { method: 'POST', cookie, body: {}, ip });
    expect(write.headers.get('ratelimit-policy')).toBe('100;w=900');
    // the rest of the 1,000 taken straight from the limiter (after this isolate's lease of a few gave back what it
    // did not spend), then the next page read is refused
    const stub = stubFor(`dashboard:${ip}`);
    await expect.poll(async () => (await stub.peek(1000, 900_000)).remaining, { timeout: LEASE_MS * 5 }).toBe(1000 - 102);
    for (let i = 0; i < 1000 - 102; i++) await stub.hit(1000, 900_000);
    expect((await call('/api/clients', { cookie, ip })).status).toBe(429);
    // a forged cookie is no way around the API's limit: it is refused
    expect((await call('/api/clients', { cookie: 'sb_session=forged', ip: '100.64.8.3' })).status).toBe(401);
  });

  it('limits each device, and wrong device secrets per address', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const ip = '100.64.9.1';
    const statuses: number[] = [];
    for (let i = 0; i < 121; i++) statuses.push((await postAndroid(d.secret, smsPayload(`m${i}`), ip)).status);
    expect(statuses.slice(0, 120).every((s) => s === 200)).toBe(true);
    expect(statuses[120]).toBe(429);
    // another device from the same address is not affected
    const other = await newDevice(u.apiKey);
    expect((await postAndroid(other.secret, smsPayload('other'), ip)).status).toBe(200);

    const guesser = '100.64.9.2';
    const wrong: number[] = [];
    for (let i = 0; i < 21; i++) wrong.push((await postAndroid(`sbd_${'1'.repeat(16)}_${'2'.repeat(40)}`, smsPayload('x'), guesser)).status);
    expect(wrong.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(wrong[20]).toBe(429);
    // a device whose secret is right is not locked out by someone else's guesses from another address
    expect((await postAndroid(other.secret, smsPayload('still fine'), '100.64.9.3')).status).toBe(200);
  });

  it('an IPv6 caller rotating addresses inside its /64 is still one caller', async () => {
    const u = await newUser();
    let last = 0;
    for (let i = 1; i <= 101; i++) last = (await call('/api/clients', { key: u.apiKey, ip: `2001:db8:77:1::${i.toString(16)}` })).status;
    expect(last).toBe(429);
    expect((await call('/api/clients', { key: u.apiKey, ip: '2001:db8:77:2::1' })).status).toBe(200);
  });

  it('counts wrong operator and bridge credentials on /internal/* per address', async () => {
    const ip = '100.64.10.1';
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      statuses.push(
        (await call('/internal/bootstrap', { ip, body: { username: 'x', password: 'password-x' }, headers: { authorization: `Bearer wrong-${i}` } })).status,
      );
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });

  it('a busy caller spends slots leased to the isolate: never more than the limit, and what it did not spend goes back', async () => {
    const u = await newUser();
    const cookie = await login(u.username, u.password);
    const ip = '100.64.11.1';
    const stub = stubFor(`dashboard:${ip}`);
    // a fast burst leases several slots per limiter call (slot-leases.test.ts follows one lease's bookkeeping)
    for (let i = 0; i < 30; i++) expect((await call('/auth/me', { cookie, ip })).status).toBe(200);
    // the lease ends: the unspent slots go back, and the limiter holds exactly what was spent
    await expect.poll(async () => (await stub.peek(1000, 900_000)).remaining, { timeout: LEASE_MS * 5 }).toBe(1000 - 30);
    // near the limit a lease gets only the room there is: of 20 calls with 5 left, exactly 5 pass
    for (let i = 0; i < 1000 - 30 - 5; i++) await stub.hit(1000, 900_000);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call('/auth/me', { cookie, ip })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
  });

  it('a right device secret gives its deviceAuth slot back (kept in the lease, then returned); wrong ones still count', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const ip = '100.64.11.2';
    for (let i = 0; i < 25; i++) expect((await postAndroid(d.secret, smsPayload(`ok${i}`), ip)).status).toBe(200);
    const stub = stubFor(`deviceAuth:${ip}`);
    await expect.poll(async () => (await stub.peek(20, 900_000)).remaining, { timeout: LEASE_MS * 5 }).toBe(20);
    for (let i = 0; i < 3; i++) expect((await postAndroid(`sbd_${'1'.repeat(16)}_${'3'.repeat(40)}`, smsPayload('x'), ip)).status).toBe(401);
    await expect.poll(async () => (await stub.peek(20, 900_000)).remaining, { timeout: LEASE_MS * 5 }).toBe(17);
  });

  it('busy devices with the right secret, 16 posts at a time over several leases, are never refused by deviceAuth and leave it empty', async () => {
    const u = await newUser();
    // four devices behind one address (each under its own `device` rule of 120 a minute)
    const devices = [await newDevice(u.apiKey), await newDevice(u.apiKey), await newDevice(u.apiKey), await newDevice(u.apiKey)];
    const ip = '100.64.11.3';
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 440) {
          const i = next++;
          statuses.push((await postAndroid(devices[i % 4]!.secret, smsPayload(`busy${i}`), ip)).status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await expect.poll(async () => (await stubFor(`deviceAuth:${ip}`).peek(20, 900_000)).remaining, { timeout: LEASE_MS * 5 }).toBe(20);
  });

  it('the limiter object grants up to the room it has and takes back what is given back', async () => {
    const stub = stubFor(`grant:${Math.random()}`);
    expect(await stub.hit(10, 60_000, 4)).toMatchObject({ allowed: true, granted: 4, remaining: 6 });
    expect(await stub.hit(10, 60_000, 64)).toMatchObject({ allowed: true, granted: 6, remaining: 0 });
    expect((await stub.hit(10, 60_000, 3)).allowed).toBe(false);
    await stub.refund(7);
    await evictDurableObject(stub);
    expect(await stub.peek(10, 60_000)).toMatchObject({ allowed: true, remaining: 7 });
  });

  it('never takes a device secret from the query string', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const res = await call(`/gateway/android?secret=${d.secret}`, { body: smsPayload('leaky') });
    expect(res.status).toBe(401);
  });
});
