// Migrations against real persisted D1 state: ours, and state written by `wrangler d1 migrations apply --local`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../system.ts';
import { migrateDatabases, migrationFiles } from './migrations.ts';
import { persistPathOf } from './serve.ts';
import { loadMiniflare } from './toolchain.ts';
import { readWorkerConfig } from './worker-config.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrations-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The rows of the tracking table and the tables of the database kept under `persistPath`. */
async function inspect(persistPath: string, id: string) {
  const { Miniflare, convertV4MiniflareOptions } = loadMiniflare();
  const mf = new Miniflare(convertV4MiniflareOptions({ modules: true, script: '', cf: false, resourcePersistencePath: persistPath, d1Databases: { DB: id } }));
  try {
    const db = await mf.getD1Database('DB');
    const applied = (await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>()).results.map((r) => r.name);
    const tables = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>()).results.map((r) => r.name);
    return { applied, tables };
  } finally {
    await mf.dispose();
  }
}

describe('D1 migrations', () => {
  it('orders files like wrangler: by leading number, numbered first, then by name', () => {
    const dir = tempDir();
    for (const name of ['10_b.sql', '2_a.sql', 'x.sql', '0001_c.sql', 'notes.md']) writeFileSync(join(dir, name), '');
    expect(migrationFiles(dir)).toEqual(['0001_c.sql', '2_a.sql', '10_b.sql', 'x.sql']);
  });

  it('applies every migration once, recorded as wrangler records them, and reads state wrangler wrote', async () => {
    const config = await readWorkerConfig(join(ROOT, 'wrangler.toml'));
    const db = config.d1[0]!;
    const files = migrationFiles(db.migrationsDir);
    expect(files.length).toBeGreaterThan(0);

    const ours = persistPathOf(tempDir());
    const lines: string[] = [];
    await migrateDatabases(config.d1, ours, config.splitSql, (l) => lines.push(l));
    expect(lines).toEqual(files.map((f) => `applied D1 migration DB/${f}`));
    await migrateDatabases(config.d1, ours, config.splitSql, (l) => lines.push(l));
    expect(lines).toHaveLength(files.length);
    const mine = await inspect(ours, db.id);
    expect(mine.applied).toEqual(files);
    expect(mine.tables).toContain('users');

    const stateDir = tempDir();
    const cli = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', join(stateDir, 'wrangler')],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
    );
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    const theirs: string[] = [];
    await migrateDatabases(config.d1, persistPathOf(stateDir), config.splitSql, (l) => theirs.push(l));
    expect(theirs).toEqual([]);
    expect(await inspect(persistPathOf(stateDir), db.id)).toEqual(mine);
  });
});
