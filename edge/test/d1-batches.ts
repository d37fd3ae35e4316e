// Records the SQL of every D1 batch made in this isolate (the test's, its Worker's and its Durable
// Objects') while it runs: how many round trips a piece of work took, not just what it wrote.
import { env } from 'cloudflare:test';

type Proto = { batch: (statements: unknown[]) => Promise<unknown> };

/** Starts recording; `sql` holds one array of statement texts per batch; `stop()` ends it. */
export function recordD1Batches(): { sql: string[][]; stop(): void } {
  const proto = Object.getPrototypeOf(env.DB) as Proto;
  const original = proto.batch;
  const sql: string[][] = [];
  proto.batch = function (this: unknown, statements: unknown[]) {
    // workerd's D1PreparedStatement keeps its text as `statement`
    sql.push(statements.map((s) => String((s as { statement?: unknown }).statement ?? '')));
    return original.call(this, statements);
  };
  return {
    sql,
    stop() {
      proto.batch = original;
    },
  };
}
