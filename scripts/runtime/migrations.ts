// D1 migrations applied the way `wrangler d1 migrations apply --local` applies them: the same
// tracking table and names, one batch per file (its statements plus the row that records it), on a
// throwaway D1-only Miniflare over the same persisted state, before anything listens.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { releaseSignals } from './signals.ts';
import { loadMiniflare } from './toolchain.ts';
import type { D1Config } from './worker-config.ts';

/** What is used of a D1 binding here (D1Database's shape). */
export interface D1Like {
  exec(sql: string): Promise<unknown>;
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<unknown>;
}
interface D1StatementLike {
  all<T>(): Promise<{ results: T[] }>;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const leadingNumber = (name: string) => Number.parseInt(name.split('_')[0] ?? '', 10);

/** `<dir>/*.sql`, in wrangler's order: by leading number, numbered before unnumbered, then by name. */
export function migrationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.sql'))
    .map((f) => f.name)
    .sort((a, b) => {
      const [x, y] = [leadingNumber(a), leadingNumber(b)];
      if (x !== y && (Number.isFinite(x) || Number.isFinite(y))) return !Number.isFinite(x) ? 1 : !Number.isFinite(y) ? -1 : x - y;
      return a < b ? -1 : a > b ? 1 : 0;
    });
}

/** Applies the not yet applied migrations of `dir`; answers their names. */
export async function applyMigrations(db: D1Like, dir: string, table: string, splitSql: (sql: string) => string[]): Promise<string[]> {
  const t = quoteIdent(table);
  await db.exec(
    `CREATE TABLE IF NOT EXISTS ${t}(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);`,
  );
  const applied = new Set((await db.prepare(`SELECT name FROM ${t} ORDER BY id`).all<{ name: string }>()).results.map((r) => r.name));
  const done: string[] = [];
  for (const name of migrationFiles(dir).filter((n) => !applied.has(n))) {
    const sql = `${readFileSync(join(dir, name), 'utf8')}\nINSERT INTO ${t} (name)\nvalues ('${name.replace(/'/g, "''")}');`;
    await db.batch(splitSql(sql).map((q) => db.prepare(q)));
    done.push(name);
  }
  return done;
}

/** Migrates every D1 database of the config under `persistPath` (`<STATE_DIR>/wrangler/v3`). */
export async function migrateDatabases(all: D1Config[], persistPath: string, splitSql: (sql: string) => string[], log: (line: string) => void): Promise<void> {
  const databases = all.filter((d) => existsSync(d.migrationsDir));
  if (databases.length === 0) return;
  const { Miniflare, convertV4MiniflareOptions } = loadMiniflare();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: '',
      host: '127.0.0.1',
      port: 0,
      cf: false,
      resourcePersistencePath: persistPath,
      d1Databases: Object.fromEntries(databases.map((d) => [d.binding, d.id])),
    }),
  );
  releaseSignals();
  try {
    for (const d of databases) {
      const applied = await applyMigrations(await mf.getD1Database(d.binding), d.migrationsDir, d.migrationsTable, splitSql);
      for (const name of applied) log(`applied D1 migration ${d.binding}/${name}`);
    }
  } finally {
    await mf.dispose();
  }
}
