// The Worker's static assets (no CDN at run time): the API reference's browser bundle, copied from
// node_modules, and the dashboard and chat page, built from edge/ui/src (scripts/ui.ts).
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUi } from './ui.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function copyAssets(): void {
  buildUi(root);
  const from = join(root, 'node_modules/@scalar/api-reference/dist/browser/standalone.js');
  const to = join(root, 'edge/ui/public/docs/vendor/scalar-standalone.js');
  if (existsSync(to) && statSync(to).size === statSync(from).size) return;
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

if (import.meta.url === `file://${process.argv[1]}`) copyAssets();
