// The serving runtime behind `npm start`: the Worker as `wrangler deploy` bundles it, on Miniflare's
// workerd (the one inside wrangler) listening on loopback, with persisted D1 and Durable Objects in
// <STATE_DIR>/wrangler/v3 (what `wrangler dev --persist-to <STATE_DIR>/wrangler` uses), migrations
// applied before anything listens, the cron driven in-process, every outbound fetch through the
// guard, and a Node front proxy on HOST:PORT. No development surface: no /cdn-cgi trigger or
// explorer endpoints, no inspector, no dev registry, no pretty error pages.
import { dirname, join, resolve } from 'node:path';
import { bundleWorker, type WorkerModule } from './bundle.ts';
import { type Cron, createCron } from './cron.ts';
import { startFrontProxy } from './front-proxy.ts';
import { migrateDatabases } from './migrations.ts';
import { createOutboundGuard } from './outbound-guard.ts';
import { releaseSignals } from './signals.ts';
import { loadMiniflare, type Miniflare } from './toolchain.ts';
import type { TrustedProxies } from './trusted-proxies.ts';
import { readWorkerConfig, type WorkerConfig } from './worker-config.ts';

export interface RuntimeOptions {
  /** the project: wrangler.toml and node_modules live here */
  projectDir: string;
  /** bundle this entry (relative to projectDir) instead of wrangler.toml's `main` */
  entry?: string;
  stateDir: string;
  host: string;
  port: number;
  /** secrets and start-up variables, over wrangler.toml's [vars] */
  bindings: Record<string, string>;
  /** ALLOW_PRIVATE_WEBHOOK_URLS=true */
  allowPrivateOutbound: boolean;
  trustedProxies: TrustedProxies;
  /** drive the cron every minute */
  cron: boolean;
  /** the environment the bundler (wrangler) runs with */
  env: NodeJS.ProcessEnv;
  log(line: string): void;
}

/** A bundled, migrated Worker, ready to serve (and to serve again after a restart). */
export interface PreparedWorker {
  config: WorkerConfig;
  modules: WorkerModule[];
  persistPath: string;
}

export interface Runtime {
  /** the public URL (the front proxy) */
  url: string;
  /** workerd's own loopback URL (tests and measurements only) */
  internalUrl: string;
  miniflare: Miniflare;
  /** runs the Worker's scheduled handler once now */
  tick(): Promise<void>;
  /** closes the port: in-flight HTTP may finish for up to `graceMs`, a running tick finishes; then WebSockets are cut */
  close(graceMs: number): Promise<void>;
  /** disposes workerd (Miniflare SIGKILLs it: close first) */
  dispose(): Promise<void>;
  /** close, then dispose */
  stop(graceMs?: number): Promise<void>;
}

/** `<STATE_DIR>/wrangler/v3`: the same files `wrangler dev --persist-to <STATE_DIR>/wrangler` uses. */
export const persistPathOf = (stateDir: string) => join(resolve(stateDir), 'wrangler', 'v3');

/** Bundles the Worker while reading wrangler.toml and applying the D1 migrations. */
export async function prepareWorker(opts: RuntimeOptions): Promise<PreparedWorker> {
  const configPath = join(opts.projectDir, 'wrangler.toml');
  const persistPath = persistPathOf(opts.stateDir);
  const bundled = bundleWorker({ projectDir: opts.projectDir, configPath, entry: opts.entry, outdir: join(opts.stateDir, 'worker-bundle'), env: opts.env });
  bundled.catch(() => {}); // awaited below; a failure must not surface as unhandled while migrating
  const config = await readWorkerConfig(configPath);
  await migrateDatabases(config.d1, persistPath, config.splitSql, opts.log);
  return { config, modules: await bundled, persistPath };
}

const urlHost = (host: string) => {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

/** Serves a prepared Worker: workerd on loopback, then the front proxy on HOST:PORT. */
export async function serveWorker(prepared: PreparedWorker, opts: RuntimeOptions): Promise<Runtime> {
  const { Miniflare, convertV4MiniflareOptions, Log, LogLevel } = loadMiniflare();
  const { config, modules, persistPath } = prepared;
  class RuntimeLog extends Log {
    protected override log(message: string) {
      opts.log(message);
    }
  }
  const guard = createOutboundGuard({ allowPrivate: opts.allowPrivateOutbound, log: opts.log });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1', // workerd on loopback only: the front proxy owns the public port
      port: 0,
      log: new RuntimeLog(LogLevel.WARN),
      handleStructuredLogs: ({ message }) => opts.log(message),
      resourcePersistencePath: persistPath,
      cf: false, // no request.cf fetched from workers.cloudflare.com
      unsafeTriggerHandlers: false, // no /cdn-cgi/local/scheduled, /cdn-cgi/local/email
      unsafeLocalExplorer: false, // no /cdn-cgi/local/explorer (raw SQL on D1)
      unsafeInspectDurableObjects: false,
      logRequests: false,
      stripDisablePrettyError: true,
      telemetry: { enabled: false },
      workers: [
        {
          name: config.name, // Durable Object storage lives in <name>-<Class>, as under wrangler dev
          modules,
          modulesRoot: dirname(modules[0]!.path), // the bundle's outdir: the main module is at its top
          compatibilityDate: config.compatibilityDate,
          compatibilityFlags: config.compatibilityFlags,
          bindings: { ...config.vars, ...opts.bindings },
          d1Databases: Object.fromEntries(config.d1.map((d) => [d.binding, d.id])),
          durableObjects: config.durableObjects,
          assets: config.assets && {
            directory: config.assets.directory,
            binding: config.assets.binding,
            run_worker_first: config.assets.runWorkerFirst,
            routerConfig: { has_user_worker: true },
          },
          outboundService: (request) => guard.fetch(request),
        },
      ],
    }),
  );
  releaseSignals();
  let internal: URL;
  try {
    internal = await mf.ready;
  } catch (err) {
    await guard.close();
    throw err;
  }
  const cron: Cron = createCron({ crons: config.crons, target: () => mf.getWorker(), log: opts.log });
  let front: Awaited<ReturnType<typeof startFrontProxy>>;
  try {
    front = await startFrontProxy({ host: opts.host, port: opts.port, upstreamPort: Number(internal.port), trustedProxies: opts.trustedProxies });
  } catch (err) {
    await mf.dispose();
    await guard.close();
    throw err;
  }
  if (opts.cron) cron.start();
  const close = async (graceMs: number) => {
    await front.close(graceMs);
    await cron.stop();
  };
  const dispose = async () => {
    await mf.dispose();
    await guard.close();
  };
  return {
    url: `http://${urlHost(opts.host)}:${front.port}`,
    internalUrl: internal.origin,
    miniflare: mf,
    tick: () => cron.tick(),
    close,
    dispose,
    async stop(graceMs = 5000) {
      await close(graceMs);
      await dispose();
    },
  };
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  return serveWorker(await prepareWorker(opts), opts);
}
