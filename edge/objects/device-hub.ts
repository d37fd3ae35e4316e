// One Durable Object per Android device (named `device:<deviceId>`): wakes the device's long-poll
// (`GET /gateway/android/outbox?wait=N`) the moment work is queued for it, so a send leaves within a
// second without the device polling in a loop. It holds no data: the work itself is in D1.
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import type { DeviceHubRpc } from './contracts.ts';

/** A long-poll waits at most this long. */
export const MAX_WAIT_MS = 30_000;

export class DeviceHub extends DurableObject<Bindings> implements DeviceHubRpc {
  private readonly waiters = new Set<() => void>();
  /** when work was last queued: a poll that found nothing just before it returns at once */
  private pokedAt = 0;

  wait(ms: number, since: number): Promise<boolean> {
    if (this.pokedAt >= since) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          this.waiters.delete(wake);
          resolve(false);
        },
        Math.min(Math.max(0, ms), MAX_WAIT_MS),
      );
      this.waiters.add(wake);
    });
  }

  notify(): void {
    this.pokedAt = Date.now();
    for (const wake of [...this.waiters]) wake();
  }
}
