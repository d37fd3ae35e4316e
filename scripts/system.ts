// Starts the whole system on this machine: the Worker under `wrangler dev` (local D1 with migrations,
// local Durable Objects), the admin account on first start, and a cron tick every minute.
// Used by `npm start`, the end-to-end tests and the benchmarks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyAssets } from './assets.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

export interface SystemOptions {
  port?: number;
  stateDir?: string;
  /** the start-up variables of DESIGN.md; defaults from process.env */
  env?: NodeJS.ProcessEnv;
  /** print wrangler's output (npm start) or keep it for errors only (tests) */
  inheritOutput?: boolean;
  /** tick the cron every minute (npm start) */
  cron?: boolean;
  /** start the bridge too (default true) */
  bridge?: boolean;
  /** the Worker's entry, relative to the project (default: wrangler.toml's `main`); benchmarks use their own */
  entry?: string;
}

export interface RunningSystem {
  url: string;
  stateDir: string;
  admin: { username: string; created: boolean; password?: string; apiKey?: string };
  internalToken: string;
  /** the bridge process: stop it (SIGTERM), kill it (SIGKILL) or start it again */
  bridge: { stop(): Promise<void>; kill(): Promise<void>; start(): Promise<void>; pid(): number | undefined };
  /** the Worker: stop and start `wrangler dev` again on the same port and state */
  worker: { restart(): Promise<void> };
  /** the last lines the Worker and the bridge printed (for failing tests) */
  logs(): string;
  stop(): Promise<void>;
}

interface LocalSecrets {
  SEAL_KEY: string;
  INTERNAL_TOKEN: string;
}

/** Server secrets, generated on first start and kept in the state dir (0600). */
function localSecrets(stateDir: string): LocalSecrets {
  const file = join(stateDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets = { SEAL_KEY: randomBytes(32).toString('base64'), INTERNAL_TOKEN: randomBytes(24).toString('hex') };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

const tail = (chunks: string[]) => chunks.join('').split('\n').slice(-40).join('\n');

/** Waits until the Worker answers /health at all (`ready`: until it answers 200, i.e. bootstrapped). */
async function waitForHealth(url: string, child: ChildProcess, output: string[], timeoutMs = 90_000, ready = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${tail(output)}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok || (!ready && res.status === 503)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Worker did not answer /health within ${timeoutMs} ms:\n${tail(output)}`);
}

/** Waits until the Worker reports a connected bridge. */
async function waitForBridge(url: string, child: ChildProcess, output: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the bridge exited with ${child.exitCode}:\n${tail(output)}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && ((await res.json()) as { bridge?: string }).bridge === 'connected') return;
    } catch {
      // the Worker is restarting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the bridge did not connect within ${timeoutMs} ms:\n${tail(output)}`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    try {
      process.kill(-child.pid!, signal);
    } catch {
      child.kill(signal);
    }
  });
}

export async function startSystem(opts: SystemOptions = {}): Promise<RunningSystem> {
  const env = opts.env ?? process.env;
  const port = opts.port ?? Number(env.PORT ?? 8787);
  const stateDir = resolve(opts.stateDir ?? env.STATE_DIR ?? '.data');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secrets = localSecrets(stateDir);
  copyAssets();

  const workerEnv = join(stateDir, 'worker.env');
  const vars: Record<string, string> = {
    SEAL_KEY: secrets.SEAL_KEY,
    INTERNAL_TOKEN: secrets.INTERNAL_TOKEN,
    ALLOW_PRIVATE_WEBHOOK_URLS: env.ALLOW_PRIVATE_WEBHOOK_URLS === 'true' ? 'true' : 'false',
    RATE_LIMITS: env.RATE_LIMITS ?? '',
    GROUP_SEND_DELAY_MS: env.GROUP_SEND_DELAY_MS ?? '',
    WA_TRANSPORT: env.WA_TRANSPORT ?? 'sandbox',
  };
  for (const [k, v] of Object.entries(vars)) if (/['\n]/.test(v)) throw new Error(`${k} must not contain a single quote or a newline`);
  // single quotes: dotenv takes the value literally (JSON keeps its double quotes)
  writeFileSync(
    workerEnv,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );

  const persist = join(stateDir, 'wrangler');
  const childEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
  const migrate = spawnSync(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`applying D1 migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, 200);
    if (opts.inheritOutput) process.stdout.write(chunk);
  };
  const spawnWorker = async () => {
    const child = spawn(
      process.execPath,
      [
        WRANGLER,
        'dev',
        ...(opts.entry ? [opts.entry] : []),
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(await freePort()),
        '--persist-to',
        persist,
        '--env-file',
        workerEnv,
        '--show-interactive-dev-session=false',
        '--log-level',
        opts.inheritOutput ? 'info' : 'warn',
      ],
      { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  };
  let worker = await spawnWorker();

  const url = `http://127.0.0.1:${port}`;
  let bridgeChild: ChildProcess | undefined;
  const bridgeId = env.BRIDGE_ID ?? 'bridge-1';
  const bridgeEnv: NodeJS.ProcessEnv = {
    ...process.env,
    EDGE_URL: url,
    STATE_DIR: stateDir,
    WA_TRANSPORT: vars.WA_TRANSPORT,
    ALLOW_PRIVATE_WEBHOOK_URLS: vars.ALLOW_PRIVATE_WEBHOOK_URLS,
    BRIDGE_ID: bridgeId,
  };
  const startBridge = async () => {
    // each start issues the bridge a fresh credential of its own (the old one stops working)
    const issued = await fetch(`${url}/internal/bridges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.INTERNAL_TOKEN}` },
      body: JSON.stringify({ bridgeId }),
    });
    if (issued.status !== 201) throw new Error(`issuing the bridge credential failed: ${issued.status} ${await issued.text()}`);
    const { token } = (await issued.json()) as { token: string };
    const child = spawn(process.execPath, [join(ROOT, 'bridge/index.ts')], {
      cwd: ROOT,
      env: { ...bridgeEnv, BRIDGE_TOKEN: token },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    bridgeChild = child;
    await waitForBridge(url, child, output);
  };
  let cronTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (cronTimer) clearInterval(cronTimer);
    if (bridgeChild) await stopChild(bridgeChild);
    await stopChild(worker);
  };

  try {
    await waitForHealth(url, worker, output);
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
    await waitForHealth(url, worker, output, 10_000, true);
    if (opts.cron) {
      cronTimer = setInterval(() => {
        fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('* * * * *')}`).catch(() => {});
      }, 60_000);
    }
    const admin = body.created ? { username, created: true, password, apiKey } : { username: body.username ?? username, created: false };
    if (opts.bridge !== false) await startBridge();
    return {
      url,
      stateDir,
      admin,
      internalToken: secrets.INTERNAL_TOKEN,
      bridge: {
        start: startBridge,
        stop: async () => {
          if (bridgeChild) await stopChild(bridgeChild);
        },
        kill: async () => {
          if (bridgeChild) await stopChild(bridgeChild, 'SIGKILL');
        },
        pid: () => bridgeChild?.pid,
      },
      worker: {
        restart: async () => {
          await stopChild(worker);
          worker = await spawnWorker();
          await waitForHealth(url, worker, output, 90_000, true);
        },
      },
      logs: () => tail(output),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
