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
}

export interface RunningSystem {
  url: string;
  stateDir: string;
  admin: { username: string; created: boolean; password?: string; apiKey?: string };
  internalToken: string;
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

async function waitForHealth(url: string, child: ChildProcess, output: string[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${tail(output)}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Worker did not answer /health within ${timeoutMs} ms:\n${tail(output)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
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
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
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
    BENCH_ROUTES: env.BENCH_ROUTES === 'true' ? 'true' : 'false',
  };
  writeFileSync(workerEnv, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n', { mode: 0o600 });

  const persist = join(stateDir, 'wrangler');
  const childEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
  const migrate = spawnSync(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`applying D1 migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [
      WRANGLER, 'dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--inspector-port', String(await freePort()),
      '--persist-to', persist,
      '--env-file', workerEnv,
      '--show-interactive-dev-session=false',
      '--log-level', opts.inheritOutput ? 'info' : 'warn',
    ],
    { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, 200);
    if (opts.inheritOutput) process.stdout.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  let cronTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (cronTimer) clearInterval(cronTimer);
    await stopChild(child);
  };

  try {
    await waitForHealth(url, child, output);
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
    if (opts.cron) {
      cronTimer = setInterval(() => {
        fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('* * * * *')}`).catch(() => {});
      }, 60_000);
    }
    const admin = body.created ? { username, created: true, password, apiKey } : { username: body.username ?? username, created: false };
    return { url, stateDir, admin, internalToken: secrets.INTERNAL_TOKEN, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
