// npm start: the whole system on this machine (see README "Configuration"); `--dev` (npm run dev)
// runs the Worker under `wrangler dev` with reload instead of the serving runtime.
import { PARENT_ONLY } from './child-env.ts';
import { type RunningSystem, startSystem } from './system.ts';

const dev = process.argv.includes('--dev');
// Read the admin credentials once, then drop them from this process's environment: workerd is
// spawned by Miniflare with process.env, and no child may inherit them.
const env = { ...process.env };
for (const name of PARENT_ONLY) delete process.env[name];
if (dev && env.HOST && env.HOST !== '127.0.0.1')
  console.warn(`npm run dev binds 127.0.0.1 only (wrangler dev serves development endpoints); HOST=${env.HOST} is ignored`);

let stopping = false;
const starting: Promise<RunningSystem> = startSystem({ env, dev, inheritOutput: true, cron: true });

const shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) {
    console.log(`${signal} again: stopping now`);
    process.exit(1); // exit hooks SIGKILL the bridge and workerd
  }
  stopping = true;
  console.log(`\n${signal}: stopping (finishing requests in flight)…`);
  const system = await starting.catch(() => undefined);
  await system?.stop();
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);

const system = await starting.catch((err: Error) => {
  console.error(`\nSwitchboard failed to start: ${err.message}`);
  process.exit(1);
});

const lines = [
  '',
  `Switchboard is running at ${system.url}`,
  dev
    ? '  Worker: wrangler dev (development server with reload; dev endpoints on 127.0.0.1)'
    : '  Worker: serving runtime (the deploy bundle on workerd; no development endpoints)',
  `  API reference: ${system.url}/docs    OpenAPI: ${system.url}/openapi.json`,
  `  State: ${system.stateDir}`,
];
if (system.admin.created) {
  lines.push(
    `  Admin login:   ${system.admin.username} / ${system.admin.password}`,
    `  Admin API key: ${system.admin.apiKey}`,
    '  (shown once: keep them; they are stored only hashed and sealed)',
  );
} else {
  lines.push(`  Admin: ${system.admin.username} (created on first start; its password and key were printed then)`);
}
lines.push(`  Bridge: connected (${env.WA_TRANSPORT ?? 'sandbox'} transport)`, 'Press Ctrl+C to stop.', '');
console.log(lines.join('\n'));
