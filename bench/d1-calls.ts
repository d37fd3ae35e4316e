// Counts the D1 calls the bench Worker makes (a batch or one statement's run/all/first/raw: each is one
// round trip to D1), for every route and Durable Object in its isolate. A D1 call costs about half a bare
// request of workerd CPU here, and unlike CPU time the count does not drift with a shared machine's load.
// Bench Worker only: never imported by edge/.

let calls = 0;
let counting = false;

/** Wraps the D1 binding's methods (once per isolate; they live on shared prototypes). */
export function countD1Calls(db: D1Database): void {
  if (counting) return;
  counting = true;
  const dbProto = Object.getPrototypeOf(db) as Record<string, (...a: unknown[]) => unknown>;
  const stmtProto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  const wrap = (proto: Record<string, (...a: unknown[]) => unknown>, name: string) => {
    const original = proto[name];
    if (typeof original !== 'function') return;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
  };
  wrap(dbProto, 'batch');
  for (const name of ['run', 'all', 'first', 'raw']) wrap(stmtProto, name);
}

/** The calls counted since the last take. */
export function takeD1Calls(): number {
  const n = calls;
  calls = 0;
  return n;
}
