// One number's send queue, kept in its Durable Object's SQLite storage: what is waiting to leave, in
// order (interactive lane first, then bulk), each with the earliest time it may go and when it expires.
// A row is written before the API answers and deleted only after its outcome is in D1, so a crash at
// any step leaves it here to be tried again under the same id (the bridge's send key: never sent twice).
import { z } from '@hono/zod-openapi';
import { SendParamsSchema } from '../../adapters/protocol.ts';

export const SEND_ORIGINS = ['api', 'chat', 'group', 'reply', 'rejection', 'scheduled', 'rule'] as const;
export type SendOrigin = (typeof SEND_ORIGINS)[number];
export const LANES = ['interactive', 'bulk'] as const;
export type Lane = (typeof LANES)[number];

/** What a queued send carries: the bridge's params (its key is the queue id) and where it came from. */
export const QueuedSendSchema = SendParamsSchema.omit({ key: true }).extend({
  origin: z.enum(SEND_ORIGINS),
  /** the scheduled_messages row this send settles */
  scheduledId: z.number().int().optional(),
  /** an SMS fallback waits on its outcome (services/fallbacks.ts): a failure is looked at at once */
  fallback: z.boolean().optional(),
});
export type QueuedSend = z.infer<typeof QueuedSendSchema>;

export interface NewQueued {
  id: string;
  send: QueuedSend;
  lane: Lane;
  notBefore: number;
  /** default: now + the number's policy `expiryMs` */
  expiresAt?: number;
}

export type QueueState = 'queued' | 'sending' | 'cancelling';

export interface QueuedRow {
  id: string;
  send: QueuedSend;
  lane: Lane;
  state: QueueState;
  notBefore: number;
  expiresAt: number;
  createdAt: number;
  attempts: number;
  lastError: string | null;
}

type Raw = {
  id: string;
  lane: number;
  state: QueueState;
  not_before: number;
  expires_at: number;
  created_at: number;
  attempts: number;
  last_error: string | null;
  item: string;
};

const toRow = (r: Raw, inFlight: Set<string>): QueuedRow => ({
  id: r.id,
  send: JSON.parse(r.item) as QueuedSend,
  lane: LANES[r.lane] ?? 'bulk',
  state: inFlight.has(r.id) ? 'sending' : r.state,
  notBefore: r.not_before,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  attempts: r.attempts,
  lastError: r.last_error,
});

export interface QueueCounts {
  depth: number;
  interactive: number;
  bulk: number;
  sending: number;
  oldestAt: number | null;
  /** the earliest a queued message may go (null: nothing queued) */
  nextAt: number | null;
  /** when the queue next needs looking at: a message may go, or one expires */
  wakeAt: number | null;
}

export class QueueStore {
  private readonly sql: SqlStorage;
  /**
   * What is with the bridge right now. Kept in memory only: after a restart nothing is in flight, and what
   * was goes again under the same key — so marking it costs no storage write (one commit less per send).
   */
  private readonly inFlight = new Set<string>();
  /** no queued row expires before this (so a drain round asks SQLite only when one may have) */
  private earliestExpiry = Number.POSITIVE_INFINITY;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS send_queue (
      id TEXT PRIMARY KEY,
      lane INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'queued',
      not_before INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      item TEXT NOT NULL)`);
    sql.exec('CREATE INDEX IF NOT EXISTS send_queue_ready ON send_queue (state, lane, not_before)');
    this.recomputeExpiry();
  }

  private recomputeExpiry() {
    const { at } = this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM send_queue WHERE state = 'queued'").one();
    this.earliestExpiry = at ?? Number.POSITIVE_INFINITY;
  }

  /** Adds sends; an id already queued is left as it is (a retried request or a re-claimed schedule). */
  add(items: NewQueued[], expiryMs: number, now = Date.now()): number {
    let added = 0;
    for (const it of items) {
      const cursor = this.sql.exec(
        'INSERT OR IGNORE INTO send_queue (id, lane, not_before, expires_at, created_at, item) VALUES (?, ?, ?, ?, ?, ?)',
        it.id,
        LANES.indexOf(it.lane),
        it.notBefore,
        it.expiresAt ?? now + expiryMs,
        now,
        JSON.stringify(it.send),
      );
      added += cursor.rowsWritten > 0 ? 1 : 0;
      this.earliestExpiry = Math.min(this.earliestExpiry, it.expiresAt ?? now + expiryMs);
    }
    return added;
  }

  depth(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM send_queue').one().n;
  }

  get(id: string): QueuedRow | null {
    const [raw] = this.sql.exec<Raw>('SELECT * FROM send_queue WHERE id = ?', id).toArray();
    return raw ? toRow(raw, this.inFlight) : null;
  }

  /** Queued sends that may go now: the interactive lane first, then in the order they came. */
  ready(now: number, limit: number): QueuedRow[] {
    return this.sql
      .exec<Raw>(
        "SELECT * FROM send_queue WHERE state = 'queued' AND not_before <= ? AND expires_at > ? AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY lane, rowid LIMIT ?",
        now,
        now,
        JSON.stringify([...this.inFlight]),
        limit,
      )
      .toArray()
      .map((r) => toRow(r, this.inFlight));
  }

  /** Queued sends whose time ran out. */
  expired(now: number, limit = 100): QueuedRow[] {
    if (now < this.earliestExpiry) return [];
    const rows = this.sql
      .exec<Raw>(
        "SELECT * FROM send_queue WHERE state = 'queued' AND expires_at <= ? AND id NOT IN (SELECT value FROM json_each(?)) LIMIT ?",
        now,
        JSON.stringify([...this.inFlight]),
        limit,
      )
      .toArray()
      .map((r) => toRow(r, this.inFlight));
    // the next look: when the first row not yet expired does (one in flight that fails is put back by retryAt, which looks again)
    if (rows.length < limit) {
      const { at } = this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM send_queue WHERE state = 'queued' AND expires_at > ?", now).one();
      this.earliestExpiry = at ?? Number.POSITIVE_INFINITY;
    }
    return rows;
  }

  /** Rows a cancel began but did not finish (the object restarted in between). */
  cancelling(): QueuedRow[] {
    return this.sql
      .exec<Raw>("SELECT * FROM send_queue WHERE state = 'cancelling'")
      .toArray()
      .map((r) => toRow(r, this.inFlight));
  }

  /** Handed to the bridge (in memory: see inFlight). */
  startSending(ids: string[]): void {
    for (const id of ids) this.inFlight.add(id);
  }

  /** Taken back before it went (the governor held it). */
  release(ids: string[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  /** A cancel begins: marked first, so a restart before it is recorded finishes it. */
  markCancelling(id: string): void {
    this.sql.exec("UPDATE send_queue SET state = 'cancelling' WHERE id = ? AND state = 'queued'", id);
  }

  /** A send that could not go now (bridge or session down, number paused): queued again for `at`. */
  retryAt(id: string, at: number, error: string | null): void {
    this.inFlight.delete(id);
    this.earliestExpiry = Math.min(this.earliestExpiry, Date.now());
    this.sql.exec("UPDATE send_queue SET state = 'queued', not_before = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?", at, error, id);
  }

  /** Rows an earlier version marked sending in storage: queued again (nothing is in flight after a restart). */
  requeueSending(): number {
    const n = this.sql.exec("UPDATE send_queue SET state = 'queued' WHERE state = 'sending'").rowsWritten;
    this.recomputeExpiry();
    return n;
  }

  remove(ids: string[]): void {
    for (const id of ids) this.inFlight.delete(id);
    if (ids.length) this.sql.exec('DELETE FROM send_queue WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(ids));
  }

  clear(): void {
    this.inFlight.clear();
    this.sql.exec('DELETE FROM send_queue');
  }

  counts(): QueueCounts {
    const [c] = this.sql
      .exec<{ depth: number; interactive: number; oldest: number | null; next: number | null; wake: number | null }>(
        `SELECT count(*) AS depth, coalesce(sum(lane = 0), 0) AS interactive,
           min(created_at) AS oldest, min(CASE WHEN state = 'queued' AND NOT in_flight THEN not_before END) AS next,
           min(CASE WHEN state = 'queued' AND NOT in_flight THEN min(not_before, expires_at) END) AS wake
         FROM (SELECT *, id IN (SELECT value FROM json_each(?)) AS in_flight FROM send_queue)`,
        JSON.stringify([...this.inFlight]),
      )
      .toArray();
    const depth = c?.depth ?? 0;
    return {
      depth,
      interactive: c?.interactive ?? 0,
      bulk: depth - (c?.interactive ?? 0),
      sending: this.inFlight.size,
      oldestAt: c?.oldest ?? null,
      nextAt: c?.next ?? null,
      wakeAt: c?.wake ?? null,
    };
  }
}
