// The per-isolate lease of limiter slots (slot-leases.ts), its bookkeeping alone: every slot the limiter
// counted is either spent, in the one open lease, or given back by its close — never stranded in a second pool.
import { describe, expect, it } from 'vitest';
import type { LimitResult } from '../objects/contracts.ts';
import { close, keep, LEASE_MS, spend } from './slot-leases.ts';

const result: LimitResult = { allowed: true, limit: 20, remaining: 10, retryAfterMs: 0, resetMs: 900_000 };

describe('slot leases', () => {
  it('a lease past its end but not yet closed stays the one pool: slots given back join it, and its close returns them all', () => {
    const key = `test:${Math.random()}`;
    const t0 = 1_000_000;
    const lease = keep(key, 5, result, t0);
    expect(lease).not.toBeNull();
    expect(spend(key, t0 + 10)).not.toBeNull(); // 4 left
    // the lease's time is up but its timer has not run yet: a slot given back joins it, no second lease begins
    const late = t0 + LEASE_MS + 50;
    expect(keep(key, 1, result, late)).toBeNull();
    expect(spend(key, late)).not.toBeNull(); // 4 left
    // its close gives back exactly what was not spent, once
    expect(close(key, lease!)).toBe(4);
    expect(spend(key, late + 1)).toBeNull();
    expect(close(key, lease!)).toBe(0);
  });

  it('a lease whose close never came is dropped after a while, and a new one starts', () => {
    const key = `test:${Math.random()}`;
    const t0 = 2_000_000;
    const lost = keep(key, 3, result, t0);
    const much = t0 + 20 * LEASE_MS;
    expect(spend(key, much)).toBeNull();
    const fresh = keep(key, 2, result, much);
    expect(fresh).not.toBeNull();
    expect(close(key, lost!)).toBe(3); // its late close still gives its own slots back
    expect(close(key, fresh!)).toBe(2);
  });
});
