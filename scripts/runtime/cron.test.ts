import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCron, type ScheduledTarget } from './cron.ts';

afterEach(() => {
  vi.useRealTimers();
});

const recorder = () => {
  const calls: { cron: string; scheduledTime: string }[] = [];
  let targets = 0;
  const target = async (): Promise<ScheduledTarget> => {
    targets++;
    return {
      scheduled: async ({ cron, scheduledTime }) => {
        calls.push({ cron, scheduledTime: scheduledTime.toISOString() });
        return { outcome: 'ok' };
      },
    };
  };
  return { calls, target, targets: () => targets };
};

describe('cron', () => {
  it('runs the scheduled handler just after every minute turns, with that minute as scheduledTime', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T10:00:30.000Z') });
    const r = recorder();
    const cron = createCron({ crons: ['* * * * *'], target: r.target, log: () => {} });
    cron.start();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(r.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(r.calls).toEqual([{ cron: '* * * * *', scheduledTime: '2030-01-01T10:01:00.000Z' }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.calls.map((c) => c.scheduledTime)).toEqual(['2030-01-01T10:01:00.000Z', '2030-01-01T10:02:00.000Z']);
    expect(r.targets()).toBe(2); // a fresh Fetcher per tick
    await cron.stop();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(r.calls).toHaveLength(2);
  });

  it('reports a failed handler and keeps ticking', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T10:00:59.000Z') });
    const lines: string[] = [];
    let n = 0;
    const cron = createCron({
      crons: ['* * * * *'],
      target: async () => ({ scheduled: async () => ({ outcome: n++ === 0 ? 'exception' : 'ok' }) }),
      log: (l) => lines.push(l),
    });
    cron.start();
    await vi.advanceTimersByTimeAsync(62_000);
    expect(n).toBe(2);
    expect(lines).toEqual(['cron "* * * * *" at 2030-01-01T10:01:00.000Z: exception']);
    await cron.stop();
  });

  it('refuses cron expressions it cannot schedule', () => {
    expect(() => createCron({ crons: ['*/5 * * * *'], target: recorder().target, log: () => {} })).toThrow(/runs "\* \* \* \* \*" only/);
  });
});
