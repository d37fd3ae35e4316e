// The Worker exactly as `wrangler deploy` would upload it: `wrangler deploy [entry] --dry-run --outdir`,
// then the output files as Miniflare module definitions (the entry module first).
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';

export type ModuleType = 'ESModule' | 'CommonJS' | 'Text' | 'Data' | 'CompiledWasm';
export interface WorkerModule {
  type: ModuleType;
  path: string;
}

const TYPES: Record<string, ModuleType> = {
  '.js': 'ESModule',
  '.mjs': 'ESModule',
  '.cjs': 'CommonJS',
  '.wasm': 'CompiledWasm',
  '.txt': 'Text',
  '.html': 'Text',
  '.sql': 'Text',
  '.bin': 'Data',
};

export interface BundleOptions {
  projectDir: string;
  configPath: string;
  /** bundle this entry instead of wrangler.toml's `main` (relative to projectDir) */
  entry?: string;
  outdir: string;
  /** the environment wrangler runs with */
  env: NodeJS.ProcessEnv;
}

const WRANGLER = (projectDir: string) => join(projectDir, 'node_modules/wrangler/bin/wrangler.js');

/** The main module's file name: wrangler names it after the entry (edge/index.ts → index.js). */
const mainModule = (entry: string | undefined) => (entry ? `${basename(entry, extname(entry))}.js` : undefined);

export async function bundleWorker(opts: BundleOptions): Promise<WorkerModule[]> {
  const outdir = resolve(opts.outdir);
  rmSync(outdir, { recursive: true, force: true });
  const args = [WRANGLER(opts.projectDir), 'deploy', ...(opts.entry ? [opts.entry] : []), '--dry-run', '--outdir', outdir, '--config', opts.configPath];
  const child = spawn(process.execPath, args, { cwd: opts.projectDir, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  const code = await new Promise<number | null>((done, fail) => child.once('error', fail).once('close', done));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (${code}):\n${output}`);

  const files = readdirSync(outdir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && TYPES[extname(f.name)])
    .map((f) => join(f.parentPath, f.name));
  const wanted = mainModule(opts.entry);
  const main = wanted ? join(outdir, wanted) : (files.find((f) => relative(outdir, f) === 'index.js') ?? files.find((f) => extname(f) === '.js'));
  if (!main || !files.includes(main)) throw new Error(`wrangler deploy --dry-run wrote no main module to ${outdir}:\n${output}`);
  return [main, ...files.filter((f) => f !== main)].map((path) => ({ type: TYPES[extname(path)]!, path }));
}
