// The governor's decisions: a fresh number sending to 50 new contacts follows the pace and the cap;
// WhatsApp's 463 pauses the number with a growing backoff; the sandbox is not paced by default.
import { describe, expect, it } from 'vitest';
import { afterRateLimit, afterSend, DEFAULT_POLICIES, decide, defaultPolicy, freshState, type GovernorPolicy, newContactCap } from './governor.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);

/** Runs `count` sends through the governor the way a queue would, returning when each left. */
function simulate(policy: GovernorPolicy, count: number, pairedAt: number | null, random = () => 0.5) {
  let state = freshState(pairedAt);
  let now = T0;
  const sentAt: number[] = [];
  const deferred: string[] = [];
  for (let i = 0; i < count; ) {
    const d = decide(policy, state, { newContact: true }, now);
    if (!d.go) {
      deferred.push(d.reason);
      now = d.at;
      continue;
    }
    sentAt.push(now);
    state = afterSend(policy, state, { newContact: true }, now, random);
    i++;
  }
  return { sentAt, deferred };
}

describe('governor', () => {
  it('50 sends to 50 new contacts on a number paired today: paced, and capped by the warm-up day after day', () => {
    const policy = DEFAULT_POLICIES.baileys; // 3 s + up to 4 s; 50 new contacts a day after a 7-day ramp from 10
    const { sentAt, deferred } = simulate(policy, 50, T0);
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    // never faster than the interval; the jitter (rolled at 0.5 here) is applied
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(policy.minIntervalMs);
    const perDay = new Map<number, number>();
    for (const t of sentAt) perDay.set(Math.floor(t / DAY), (perDay.get(Math.floor(t / DAY)) ?? 0) + 1);
    const days = [...perDay.values()];
    expect(days[0]).toBe(10); // day 0 of the warm-up
    for (const [i, n] of days.entries()) expect(n, `day ${i}`).toBeLessThanOrEqual(newContactCap(policy, freshState(T0), T0 + i * DAY)!);
    expect(days.reduce((a, b) => a + b, 0)).toBe(50); // nothing dropped: the rest waited for the next days
    expect(deferred).toContain('new_contact_cap');
    expect(deferred).toContain('interval');
  });

  it('a number past its warm-up sends its full daily cap, then waits for the next day', () => {
    const policy: GovernorPolicy = { ...DEFAULT_POLICIES.baileys, newContactsPerDay: 20 };
    const { sentAt } = simulate(policy, 25, T0 - 30 * DAY);
    const firstDay = sentAt.filter((t) => t < Math.floor(T0 / DAY) * DAY + DAY);
    expect(firstDay).toHaveLength(20);
    expect(sentAt[20]).toBe(Math.floor(T0 / DAY) * DAY + DAY);
  });

  it("WhatsApp's 463 pauses the number, doubling on repeats up to the maximum; a send after it resets the backoff", () => {
    const policy = DEFAULT_POLICIES.baileys;
    let state = afterRateLimit(policy, freshState(), T0);
    expect(decide(policy, state, { newContact: false }, T0 + 1000)).toEqual({ go: false, at: T0 + policy.pauseMs, reason: 'paused' });
    state = afterRateLimit(policy, state, T0 + policy.pauseMs);
    expect(state.pausedUntil).toBe(T0 + 3 * policy.pauseMs);
    for (let i = 0; i < 20; i++) state = afterRateLimit(policy, state, T0);
    expect(state.pausedUntil).toBe(T0 + policy.maxPauseMs);
    expect(decide(policy, state, { newContact: false }, T0 + policy.maxPauseMs)).toEqual({ go: true });
    state = afterSend(policy, state, { newContact: false }, T0 + policy.maxPauseMs);
    expect(state).toMatchObject({ pauses: 0, pausedUntil: null });
  });

  it('a pause set while a send was in flight (a 463 nack of an earlier message) survives that send', () => {
    const policy = DEFAULT_POLICIES.baileys;
    const paused = afterRateLimit(policy, freshState(), T0, '463: nack');
    const after = afterSend(policy, paused, { newContact: false }, T0 + 1000);
    expect(after).toMatchObject({ pausedUntil: T0 + policy.pauseMs, pauseReason: '463: nack', pauses: 1, lastSentAt: T0 + 1000 });
  });

  it('the sandbox is not paced unless GOVERNOR says so; a bad GOVERNOR keeps the defaults', () => {
    expect(simulate(DEFAULT_POLICIES.sandbox, 100, null).deferred).toEqual([]);
    const paced = defaultPolicy('sandbox', '{"minIntervalMs":1000,"newContactsPerDay":5}');
    expect(paced).toMatchObject({ minIntervalMs: 1000, newContactsPerDay: 5, jitterMs: 0 });
    expect(defaultPolicy('baileys', '{"minIntervalMs":"fast"}')).toEqual(DEFAULT_POLICIES.baileys);
    expect(defaultPolicy('baileys', 'not json')).toEqual(DEFAULT_POLICIES.baileys);
  });
});
