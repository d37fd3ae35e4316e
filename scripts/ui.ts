// Builds the dashboard and the chat page (Preact + TSX in edge/ui/src) into the Worker's static assets
// (edge/ui/public/app): one minified ES module per page and one stylesheet. No CDN at run time.
// Built again only when a source is newer than the built files; each file is replaced atomically (written
// aside, then renamed), so a server running from these assets never serves half a file.
import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const OUTPUTS = ['dashboard.js', 'chat.js', 'style.css'];

/** The newest modification time under `dir` (recursively). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export function buildUi(root: string): { built: boolean; bytes: Record<string, number> } {
  const src = join(root, 'edge/ui/src');
  const outdir = join(root, 'edge/ui/public/app');
  const sources = Math.max(newest(src), statSync(join(root, 'openapi/client/schema.d.ts')).mtimeMs, statSync(join(root, 'adapters/live.ts')).mtimeMs);
  const outputs = OUTPUTS.map((f) => join(outdir, f));
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) {
    return { built: false, bytes: Object.fromEntries(outputs.map((f) => [basename(f), statSync(f).size])) };
  }
  const result = buildSync({
    entryPoints: { dashboard: join(src, 'dashboard/main.tsx'), chat: join(src, 'chat/main.tsx'), style: join(src, 'style.css') },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    write: false,
    logLevel: 'error',
  });
  mkdirSync(outdir, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const file of result.outputFiles) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
    bytes[basename(file.path)] = file.contents.byteLength;
  }
  return { built: true, bytes };
}
