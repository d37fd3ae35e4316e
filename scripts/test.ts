// npm test: type-check, format and lint (Biome), import direction (dependency-cruiser), then every
// test (the workerd projects and the Node project). Any step that fails stops the run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyAssets } from './assets.ts';
import { ROOT } from './system.ts';

copyAssets();
const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
const bin = (path: string) => join(ROOT, 'node_modules', path);

const SOURCES = ['adapters', 'edge', 'bridge', 'bench', 'scripts', 'test', 'openapi'];
const checks: [string, string[]][] = [
  ['type-check', [bin('typescript/bin/tsc'), '--noEmit']],
  ['type-check the pages (edge/ui: DOM, Preact, the typed API client)', [bin('typescript/bin/tsc'), '--noEmit', '-p', 'edge/ui']],
  ['format and lint (npm run format fixes formatting)', [bin('@biomejs/biome/bin/biome'), 'ci', '--error-on-warnings', '--colors=off', '.']],
  ['import direction', [bin('dependency-cruiser/bin/dependency-cruiser.mjs'), ...SOURCES, '--config', '.dependency-cruiser.cjs']],
];

for (const [name, args] of checks) {
  const status = run(args);
  if (status !== 0) {
    console.error(`${name} failed`);
    process.exit(status);
  }
}
process.exit(run([bin('vitest/vitest.mjs'), 'run', ...process.argv.slice(2)]));
