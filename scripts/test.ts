// npm test: type-check, then every test (workerd project and Node project).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyAssets } from './assets.ts';
import { ROOT } from './system.ts';

copyAssets();
const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;

const tsc = run([join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit']);
if (tsc !== 0) {
  console.error('type-check failed');
  process.exit(tsc);
}
process.exit(run([join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)]));
