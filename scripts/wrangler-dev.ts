// `npm run dev`: the Worker under `wrangler dev` (reloads on change). A development server: it serves
// dev-only endpoints (/cdn-cgi/… trigger handlers, the D1 explorer) and believes CF-Connecting-IP,
// so it binds 127.0.0.1 only. Everything else (npm start, tests, benchmarks) uses the serving runtime.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { migrateDatabases } from './runtime/migrations.ts';
import { persistPathOf } from './runtime/serve.ts';
import { readWorkerConfig } from './runtime/worker-config.ts';
import { stopChild, track } from './children.ts';
import type { WorkerHost } from './worker-host.ts';

export interface WranglerDevOptions {
  projectDir: string;
  entry?: string;
  stateDir: string;
  port: number;
  bindings: Record<string, string>;
  cron: boolean;
  env: NodeJS.ProcessEnv;
  verbose: boolean;
  log(chunk: string): void;
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    // serving at all: 503 NOT_READY is an answer too (the admin is created after this)
    const ok = await fetch(`${url}/health`).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok || r.status === 503;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer /health within ${timeoutMs} ms`);
}

export async function wranglerDevHost(opts: WranglerDevOptions): Promise<WorkerHost> {
  const config = await readWorkerConfig(join(opts.projectDir, 'wrangler.toml'));
  await migrateDatabases(config.d1, persistPathOf(opts.stateDir), config.splitSql, opts.log);
  const envFile = join(opts.stateDir, 'worker.env');
  for (const [k, v] of Object.entries(opts.bindings)) if (/['\n]/.test(v)) throw new Error(`${k} must not contain a single quote or a newline`);
  // single quotes: dotenv takes the value literally (JSON keeps its double quotes)
  writeFileSync(
    envFile,
    `${Object.entries(opts.bindings)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );

  const url = `http://127.0.0.1:${opts.port}`;
  const spawnDev = async () => {
    const args = [join(opts.projectDir, 'node_modules/wrangler/bin/wrangler.js'), 'dev', ...(opts.entry ? [opts.entry] : [])];
    args.push('--ip', '127.0.0.1', '--port', String(opts.port), '--inspector-port', String(await freePort()));
    args.push('--persist-to', join(opts.stateDir, 'wrangler'), '--env-file', envFile, '--show-interactive-dev-session=false');
    args.push('--log-level', opts.verbose ? 'info' : 'warn');
    const child = track(spawn(process.execPath, args, { cwd: opts.projectDir, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout!.on('data', (c: Buffer) => opts.log(c.toString()));
    child.stderr!.on('data', (c: Buffer) => opts.log(c.toString()));
    await waitForHealth(url, child);
    return child;
  };
  let child = await spawnDev();
  const tick = async () => {
    await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('* * * * *')}`).then((r) => r.arrayBuffer());
  };
  const timer = opts.cron ? setInterval(() => tick().catch(() => {}), 60_000) : undefined;
  return {
    url,
    close: async () => clearInterval(timer),
    dispose: () => stopChild(child),
    async restart() {
      await stopChild(child);
      child = await spawnDev();
    },
    tick,
  };
}
