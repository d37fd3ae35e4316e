// What the serving runtime needs from wrangler.toml, read by wrangler's own config reader so that
// `npm start` and `wrangler deploy` agree on every binding. Anything the runtime does not wire is
// refused here rather than silently missing at run time.
import { dirname, resolve } from 'node:path';

export interface D1Config {
  binding: string;
  /** the id wrangler's local mode names the database by (preview_database_id ?? database_id ?? binding) */
  id: string;
  migrationsDir: string;
  migrationsTable: string;
}

export interface WorkerConfig {
  name: string;
  projectDir: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  d1: D1Config[];
  durableObjects: Record<string, { className: string; useSQLite: boolean }>;
  assets?: { directory: string; binding?: string; runWorkerFirst?: boolean | string[] };
  crons: string[];
  /** wrangler's splitter for SQL files (the one `wrangler d1 migrations apply` uses) */
  splitSql(sql: string): string[];
}

const UNWIRED = ['kv_namespaces', 'r2_buckets', 'queues', 'services', 'vectorize', 'hyperdrive', 'workflows', 'analytics_engine_datasets'] as const;

/** The fields read here of wrangler's normalized config (its published types leave the config untyped). */
interface WranglerConfig extends Record<(typeof UNWIRED)[number], unknown> {
  name?: string;
  compatibility_date?: string;
  compatibility_flags: string[];
  vars: Record<string, unknown>;
  d1_databases: {
    binding: string;
    database_id?: string;
    preview_database_id?: string;
    migrations_dir?: string;
    migrations_table?: string;
    migrations_pattern?: string;
  }[];
  durable_objects: { bindings: { name: string; class_name: string; script_name?: string }[] };
  migrations: unknown;
  assets?: { directory?: string; binding?: string; run_worker_first?: boolean | string[] };
  triggers: { crons?: string[] };
}

export async function readWorkerConfig(configPath: string): Promise<WorkerConfig> {
  const wrangler = await import('wrangler');
  const cfg: WranglerConfig = wrangler.unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const projectDir = dirname(resolve(configPath));
  for (const key of UNWIRED) {
    const value: unknown = cfg[key];
    if (Array.isArray(value) && value.length > 0) throw new Error(`${key} in wrangler.toml: the serving runtime (scripts/runtime) does not wire it yet`);
  }
  if (!cfg.name || !cfg.compatibility_date) throw new Error('wrangler.toml needs `name` and `compatibility_date`');
  const sqlite: Map<string, boolean> = wrangler.unstable_getDurableObjectClassNameToUseSQLiteMap(cfg.migrations);
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.vars)) vars[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return {
    name: cfg.name,
    projectDir,
    compatibilityDate: cfg.compatibility_date,
    compatibilityFlags: cfg.compatibility_flags,
    vars,
    d1: cfg.d1_databases.map((d) => {
      if (d.migrations_pattern) throw new Error('migrations_pattern in wrangler.toml: the serving runtime reads `<migrations_dir>/*.sql` only');
      return {
        binding: d.binding,
        id: d.preview_database_id ?? d.database_id ?? d.binding,
        migrationsDir: resolve(projectDir, d.migrations_dir ?? 'migrations'),
        migrationsTable: d.migrations_table ?? 'd1_migrations',
      };
    }),
    durableObjects: Object.fromEntries(
      cfg.durable_objects.bindings.map((b) => {
        if (b.script_name) throw new Error(`Durable Object ${b.name} lives in another script (${b.script_name}): not supported by the serving runtime`);
        return [b.name, { className: b.class_name, useSQLite: sqlite.get(b.class_name) === true }];
      }),
    ),
    assets: cfg.assets?.directory
      ? { directory: resolve(projectDir, cfg.assets.directory), binding: cfg.assets.binding, runWorkerFirst: cfg.assets.run_worker_first }
      : undefined,
    crons: cfg.triggers.crons ?? [],
    splitSql: wrangler.unstable_splitSqlQuery,
  };
}
