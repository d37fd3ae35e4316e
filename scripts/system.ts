// Starts the whole system on this machine: the Worker on the serving runtime (scripts/runtime: the
// deploy bundle on workerd behind a front proxy, persisted D1 and Durable Objects, migrations
// applied, the cron every minute) — or under `wrangler dev` for `npm run dev` — the admin account on
// first start, and the bridge. Used by `npm start`, `npm run dev`, the end-to-end tests and the benchmarks.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyAssets } from './assets.ts';
import { bridgeCredential, bridgeEnv, childEnv } from './child-env.ts';
import { stopChild, track } from './children.ts';
import { localSecrets } from './local-secrets.ts';
import { parseTrustedProxies } from './runtime/trusted-proxies.ts';
import { servingHost, type WorkerHost } from './worker-host.ts';
import { wranglerDevHost } from './wrangler-dev.ts';

export { freePort } from './free-port.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface SystemOptions {
  port?: number;
  stateDir?: string;
  /** the start-up variables of DESIGN.md; defaults from process.env */
  env?: NodeJS.ProcessEnv;
  /** print the runtime's output (npm start) or keep it for errors only (tests) */
  inheritOutput?: boolean;
  /** tick the cron every minute (npm start) */
  cron?: boolean;
  /** start the bridge too (default true) */
  bridge?: boolean;
  /** the Worker's entry, relative to the project (default: wrangler.toml's `main`); benchmarks use their own */
  entry?: string;
  /** run the Worker under `wrangler dev` with reload (npm run dev) instead of the serving runtime */
  dev?: boolean;
}

export interface RunningSystem {
  url: string;
  stateDir: string;
  admin: { username: string; created: boolean; password?: string; apiKey?: string };
  internalToken: string;
  /** the (first) bridge process: stop it (SIGTERM), kill it (SIGKILL) or start it again */
  bridge: BridgeHandle;
  /** every bridge process (BRIDGES=N) */
  bridges: BridgeHandle[];
  /** the Worker: restart its runtime on the same port and state; run its cron handler once */
  worker: { restart(): Promise<void>; tick(): Promise<void> };
  /** the last lines the Worker and the bridge printed (for failing tests) */
  logs(): string;
  /** drains in-flight requests, stops the bridge, then the Worker */
  stop(): Promise<void>;
}

/** Waits until the Worker reports a connected bridge and this bridge says its link is up. */
async function waitForBridge(url: string, child: ChildProcess, linked: () => boolean, logs: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the bridge exited with ${child.exitCode}:\n${logs()}`);
    const state = await fetch(`${url}/health`).then(
      async (r) => (r.ok ? ((await r.json()) as { bridge?: string }).bridge : undefined),
      () => undefined, // the Worker is restarting
    );
    if (state === 'connected' && linked()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the bridge did not connect within ${timeoutMs} ms:\n${logs()}`);
}

/** One bridge process npm start runs. */
export interface BridgeHandle {
  bridgeId: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  pid(): number | undefined;
}

/** Waits until /health answers 200: migrated and bootstrapped, so the admin key works. */
async function waitForReady(url: string, logs: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the Worker was not ready within ${timeoutMs} ms:\n${logs()}`);
}

export async function startSystem(opts: SystemOptions = {}): Promise<RunningSystem> {
  const env = opts.env ?? process.env;
  const port = opts.port ?? Number(env.PORT ?? 8787);
  const stateDir = resolve(opts.stateDir ?? env.STATE_DIR ?? '.data');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secrets = localSecrets(stateDir);
  const trustedProxies = parseTrustedProxies(env.TRUSTED_PROXIES);
  copyAssets();

  const allowPrivate = env.ALLOW_PRIVATE_WEBHOOK_URLS === 'true';
  const transport = env.WA_TRANSPORT ?? 'sandbox';
  const bindings: Record<string, string> = {
    SEAL_KEY: secrets.SEAL_KEY,
    INTERNAL_TOKEN: secrets.INTERNAL_TOKEN,
    ALLOW_PRIVATE_WEBHOOK_URLS: allowPrivate ? 'true' : 'false',
    RATE_LIMITS: env.RATE_LIMITS ?? '',
    GROUP_SEND_DELAY_MS: env.GROUP_SEND_DELAY_MS ?? '',
    WA_TRANSPORT: transport,
    GOVERNOR: env.GOVERNOR ?? '',
  };

  const output: string[] = [];
  const keep = (text: string) => {
    output.push(text.endsWith('\n') ? text : `${text}\n`);
    if (output.length > 400) output.splice(0, 200);
    if (opts.inheritOutput) process.stdout.write(output.at(-1)!);
  };
  const logs = () => output.join('').split('\n').slice(-40).join('\n');
  const toolEnv = { ...childEnv(env), WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };

  const host: WorkerHost = opts.dev
    ? await wranglerDevHost({
        projectDir: ROOT,
        entry: opts.entry,
        stateDir,
        port,
        bindings,
        cron: opts.cron === true,
        env: toolEnv,
        verbose: opts.inheritOutput === true,
        log: keep,
      })
    : await servingHost({
        projectDir: ROOT,
        entry: opts.entry,
        stateDir,
        host: env.HOST || '127.0.0.1',
        port,
        bindings,
        allowPrivateOutbound: allowPrivate,
        trustedProxies,
        cron: opts.cron === true,
        env: toolEnv,
        log: keep,
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      });
  const url = host.url;

  // BRIDGES=N runs N bridges (bridge-1 … bridge-N, each with its own credential and state file, one
  // shared seal key); the clients are spread over them under leases, and move when a bridge dies or drains.
  const count = Math.max(1, Math.min(16, Math.floor(Number(env.BRIDGES ?? 1)) || 1));
  const ids = count === 1 ? [env.BRIDGE_ID ?? 'bridge-1'] : Array.from({ length: count }, (_, i) => `bridge-${i + 1}`);
  const bridges: BridgeHandle[] = ids.map((bridgeId) => {
    let child: ChildProcess | undefined;
    return {
      bridgeId,
      start: async () => {
        const token = await bridgeCredential(url, secrets, bridgeId);
        const envOfBridge = bridgeEnv(env, { edgeUrl: url, stateDir, bridgeId, transport, allowPrivateUrls: allowPrivate, token });
        const started = track(
          spawn(process.execPath, [join(ROOT, 'bridge/index.ts')], { cwd: ROOT, env: envOfBridge, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
        );
        let linked = false;
        started.stdout!.on('data', (c: Buffer) => {
          const text = c.toString();
          if (text.includes('[bridge link] connected to')) linked = true;
          keep(text);
        });
        started.stderr!.on('data', (c: Buffer) => keep(c.toString()));
        child = started;
        await waitForBridge(url, started, () => linked, logs);
      },
      // SIGTERM: the bridge drains (its numbers move to other bridges) for up to 30 s before it exits
      stop: async () => {
        if (child) await stopChild(child, 'SIGTERM', 35_000);
      },
      kill: async () => {
        if (child) await stopChild(child, 'SIGKILL');
      },
      pid: () => child?.pid,
    };
  });
  const stop = async () => {
    await host.close(5000);
    await Promise.all(bridges.map((b) => b.stop()));
    await host.dispose();
  };

  try {
    // 503 NOT_READY until the admin exists (migrations are applied before the host listens)
    const health = await fetch(`${url}/health`);
    await health.body?.cancel();
    if (!health.ok && health.status !== 503) throw new Error(`GET /health answered ${health.status}`);
    const username = env.ADMIN_USERNAME || 'admin';
    const password = env.ADMIN_PASSWORD || randomBytes(12).toString('base64url');
    const apiKey = env.ADMIN_API_KEY || `sba_${randomBytes(20).toString('hex')}`;
    const res = await fetch(`${url}/internal/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.INTERNAL_TOKEN}` },
      body: JSON.stringify({ username, password, apiKey }),
    });
    const body = (await res.json()) as { created?: boolean; username?: string; error?: string };
    if (!res.ok) throw new Error(`creating the admin failed: ${body.error ?? res.status}`);
    await waitForReady(url, logs);
    const admin = body.created ? { username, created: true, password, apiKey } : { username: body.username ?? username, created: false };
    if (opts.bridge !== false) for (const b of bridges) await b.start();
    return {
      url,
      stateDir,
      admin,
      internalToken: secrets.INTERNAL_TOKEN,
      bridge: bridges[0]!,
      bridges,
      worker: { restart: () => host.restart(), tick: () => host.tick() },
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
