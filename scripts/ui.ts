// Builds the dashboard and the chat page (Preact + TSX in edge/ui/src) into the Worker's static assets
// (edge/ui/public/app): one minified ES module per page and one stylesheet. No CDN at run time.
import { buildSync } from 'esbuild';
import { join } from 'node:path';

export function buildUi(root: string): { bytes: Record<string, number> } {
  const src = join(root, 'edge/ui/src');
  const result = buildSync({
    entryPoints: { dashboard: join(src, 'dashboard/main.tsx'), chat: join(src, 'chat/main.tsx'), style: join(src, 'style.css') },
    outdir: join(root, 'edge/ui/public/app'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
  });
  const bytes: Record<string, number> = {};
  for (const [file, out] of Object.entries(result.metafile.outputs)) bytes[file.replace(/^.*\//, '')] = out.bytes;
  return { bytes };
}
