// npm start: the whole system on this machine (see README "Configuration").
import { startSystem } from './system.ts';

const system = await startSystem({ inheritOutput: true, cron: true }).catch((err: Error) => {
  console.error(`\nSwitchboard failed to start: ${err.message}`);
  process.exit(1);
});

const lines = [
  '',
  `Switchboard is running at ${system.url}`,
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
lines.push(`  Bridge: connected (${process.env.WA_TRANSPORT ?? 'sandbox'} transport)`, 'Press Ctrl+C to stop.', '');
console.log(lines.join('\n'));

const shutdown = async () => {
  await system.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
