import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, nextDelay, parseRetryAfter, RETRY_DELAYS_MS } from './retry-policy.ts';

describe('retry schedule', () => {
  it('is now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(RETRY_DELAYS_MS).toEqual([5e3, 3e5, 1.8e6, 7.2e6, 1.8e7, 3.6e7, 3.6e7]);
    expect(MAX_ATTEMPTS).toBe(8);
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextDelay(n, null, mid))).toEqual(RETRY_DELAYS_MS);
    expect(nextDelay(8, null, mid)).toBeNull();
  });

  it('jitters within ±10%', () => {
    expect(nextDelay(1, null, () => 0)).toBe(4500);
    expect(nextDelay(1, null, () => 0.999999)).toBe(5500);
  });

  it('waits at least as long as Retry-After, capped at 10 h', () => {
    expect(nextDelay(1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextDelay(2, 1_000, () => 0.5)).toBe(300_000);
    expect(nextDelay(1, 1e12, () => 0.5)).toBe(36_000_000);
  });

  it('parses Retry-After seconds and dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
