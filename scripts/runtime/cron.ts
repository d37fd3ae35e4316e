// The Cron Trigger, driven in-process: once a minute, just after the minute turns, the Worker's
// scheduled handler runs for each cron of wrangler.toml, with that minute as its scheduledTime.
// `tick()` resolves when the handler and its waitUntil work are done.

/** The part of Miniflare's Fetcher used here. */
export interface ScheduledTarget {
  scheduled(options: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }>;
}

export interface CronOptions {
  crons: string[];
  /** a fresh Fetcher per tick: stubs die with a workerd restart */
  target(): Promise<ScheduledTarget>;
  log(line: string): void;
  now?: () => number;
}

export interface Cron {
  /** runs every cron once now (also what the timer calls) */
  tick(): Promise<void>;
  /** arms the minute timer */
  start(): void;
  /** disarms it and waits for a running tick */
  stop(): Promise<void>;
}

const MINUTE = 60_000;

export function createCron(opts: CronOptions): Cron {
  const unsupported = opts.crons.filter((c) => c.trim().split(/\s+/).join(' ') !== '* * * * *');
  if (unsupported.length > 0) throw new Error(`cron ${unsupported.join(', ')}: the serving runtime runs "* * * * *" only (scripts/runtime/cron.ts)`);
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = true;

  const tick = async () => {
    const scheduledTime = new Date(Math.floor(now() / MINUTE) * MINUTE);
    const target = await opts.target();
    for (const cron of opts.crons) {
      const result = await target.scheduled({ cron, scheduledTime }).catch((err: Error) => ({ outcome: `exception: ${err.message}` }));
      if (result.outcome !== 'ok') opts.log(`cron "${cron}" at ${scheduledTime.toISOString()}: ${result.outcome}`);
    }
  };
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = tick()
          .catch((err: Error) => opts.log(`cron tick failed: ${err.message}`))
          .finally(arm);
      },
      MINUTE - (now() % MINUTE) + 50,
    );
  };

  return {
    tick,
    start() {
      if (opts.crons.length === 0 || !stopped) return;
      stopped = false;
      arm();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
