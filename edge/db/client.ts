// drizzle over the D1 binding, one instance per binding.
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

export type Db = DrizzleD1Database<typeof schema>;
const cache = new WeakMap<D1Database, Db>();

export function getDb(d1: D1Database): Db {
  let db = cache.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    cache.set(d1, db);
  }
  return db;
}

/** A statement written with drizzle, as a D1 one: to go in one `D1Database.batch` with statements written in SQL. */
export type Write = Parameters<Db['batch']>[0][number];
export function asD1(d1: D1Database, w: Write): D1PreparedStatement {
  const q = (w as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
  return d1.prepare(q.sql).bind(...q.params);
}

/** Runs statements in D1 batches of at most 100 (each batch one transaction), in order. */
export function batchAll(d1: D1Database, writes: D1PreparedStatement[]): Promise<void> {
  return batchGroups(
    d1,
    writes.map((w) => [w]),
  );
}

/** Groups of statements in order, in as few D1 batches as fit (100 statements each), a group never split across two. */
export async function batchGroups(d1: D1Database, groups: D1PreparedStatement[][]): Promise<void> {
  let batch: D1PreparedStatement[] = [];
  for (const group of groups) {
    if (batch.length && batch.length + group.length > 100) {
      await d1.batch(batch);
      batch = [];
    }
    batch.push(...group);
  }
  if (batch.length) await d1.batch(batch);
}
