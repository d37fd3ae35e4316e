// One number's send queue, kept in its Durable Object's SQLite storage: what is waiting to leave, in
// order (interactive lane first, then bulk), each with the earliest time it may go and when it expires.
// A row is written before the API answers and deleted only after its outcome is in D1, so a crash at
// any step leaves it here to be tried again under the same id (the bridge's send key: never sent twice).
// While the queue is small (MIRROR_ROWS) every row but its message is also kept in memory, written through
// after each SQL write: depth, counts and what may go answer without scanning SQLite (a round reads only
// its own rows' messages, by id). Past the bound the mirror is dropped and SQL answers, until the queue
// is back under half of it. Messages stay on disk: a queue of long texts costs no memory.
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
  /** its id was made just now at random (not derived from a cause or a key): it cannot be queued or have left, so nothing is looked up */
  minted?: boolean;
}

export type QueueState = 'queued' | 'sending' | 'cancelling';

/**
 * An outcome the bridge gave that D1 has not recorded yet (its batch failed): kept with the row, so the
 * next round records it as it was — the message is not asked for again, nor reported expired or cancelled.
 */
export type KnownOutcome = { kind: 'sent'; messageId: string; timestamp: number } | { kind: 'failed' | 'cancelled'; code: string; message: string; at: number };

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
  /** the code of its last try's failure; while cancelling, the code its cancel is recorded with */
  lastCode: string | null;
  /** set when its outcome is known but not yet in D1 */
  outcome: KnownOutcome | null;
}

const META = 'id, lane, state, not_before, expires_at, created_at, attempts, last_error, last_code, outcome';

type Raw = {
  id: string;
  lane: number;
  state: QueueState;
  not_before: number;
  expires_at: number;
  created_at: number;
  attempts: number;
  last_error: string | null;
  /** the code of the last try's failure (an outage's rows go again at once when the number is back) */
  last_code: string | null;
  /** a KnownOutcome as JSON */
  outcome: string | null;
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
  lastCode: r.last_code,
  outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as KnownOutcome),
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

/** A row's last error is kept to this many characters, its code to MAX_CODE_CHARS. */
const MAX_ERROR_CHARS = 500;
const MAX_CODE_CHARS = 64;

/**
 * How long an id that left is remembered: far longer than a re-offered cause takes between its D1 check
 * and its enqueue, and short enough that the list stays small (a number's sends of 10 minutes).
 */
export const LEFT_KEPT_MS = 600_000;

/** The mirror's bound (about 150 bytes a row; errors up to MAX_ERROR_CHARS): past it, SQL answers reads until the queue is back under half of it. */
export const MIRROR_ROWS = 5000;

/** A row as SQL holds it, minus its id (the mirror's key) and its message (read by id when needed). */
type Mirrored = Omit<Raw, 'id' | 'item'>;

/** A mirrored row with its id again (a row on its way to `withItems`). */
type MirroredRow = Mirrored & { id: string };

export class QueueStore {
  private readonly sql: SqlStorage;
  /**
   * What is with the bridge right now. Kept in memory only: after a restart nothing is in flight, and what
   * was goes again under the same key — so marking it costs no storage write (one commit less per send).
   */
  private readonly inFlight = new Set<string>();
  /** ids marked cancelling (a cancel that has not finished: see cancelling()), so a round need not look for them */
  private readonly marked = new Set<string>();
  /** no queued row expires before this (so a drain round asks SQLite only when one may have) */
  private earliestExpiry = Number.POSITIVE_INFINITY;
  /** every row in rowid order while the queue is within bounds; null: SQL answers */
  private mirror: Map<string, Mirrored> | null = null;
  private readonly mirrorRows: number;

  constructor(sql: SqlStorage, mirrorRows = MIRROR_ROWS) {
    this.sql = sql;
    this.mirrorRows = mirrorRows;
    sql.exec(`CREATE TABLE IF NOT EXISTS send_queue (
      id TEXT PRIMARY KEY,
      lane INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'queued',
      not_before INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      last_code TEXT,
      item TEXT NOT NULL,
      outcome TEXT)`);
    // a store from before last_code: the column added, its codes read from the 'CODE: message' errors it kept
    if (!sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('send_queue') WHERE name = 'last_code'").toArray().length) {
      sql.exec('ALTER TABLE send_queue ADD COLUMN last_code TEXT');
      sql.exec("UPDATE send_queue SET last_code = substr(last_error, 1, instr(last_error, ':') - 1) WHERE instr(last_error, ':') > 1");
    }
    if (!sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('send_queue') WHERE name = 'outcome'").toArray().length)
      sql.exec('ALTER TABLE send_queue ADD COLUMN outcome TEXT');
    // ids that left the queue lately: one offered again meanwhile (a cause re-offered after a crash, checked
    // against D1 just before it left) is not queued a second time
    sql.exec('CREATE TABLE IF NOT EXISTS send_queue_left (id TEXT PRIMARY KEY, at INTEGER NOT NULL)');
    sql.exec('CREATE INDEX IF NOT EXISTS send_queue_left_at ON send_queue_left (at)');
    // the few rows that keep a known outcome, found (and counted) without reading the rest
    sql.exec('CREATE INDEX IF NOT EXISTS send_queue_known ON send_queue (not_before) WHERE outcome IS NOT NULL');
    sql.exec('CREATE INDEX IF NOT EXISTS send_queue_ready ON send_queue (state, lane, not_before)');
    this.reload();
  }

  /** Reads the memory copy again from SQLite (at start; after storage was changed behind this store: tests); what is in flight stays. */
  reload(): void {
    this.loadMirror();
    this.recomputeExpiry();
    this.recountChars();
    this.recountKnown();
    this.loadMarked();
  }

  /** Whether reads are answered from memory (exposed for tests). */
  get mirrored(): boolean {
    return this.mirror !== null;
  }

  private loadMarked() {
    this.marked.clear();
    for (const { id } of this.sql.exec<{ id: string }>("SELECT id FROM send_queue WHERE state = 'cancelling'")) this.marked.add(id);
  }

  /** Loads every row into memory when the queue is within bounds. */
  private loadMirror() {
    if (this.depthSql() > this.mirrorRows) {
      this.mirror = null;
      return;
    }
    this.mirror = new Map();
    for (const { id, ...row } of this.sql.exec<MirroredRow>(`SELECT ${META} FROM send_queue ORDER BY rowid`)) this.keep(id, row);
  }

  private keep(id: string, row: Mirrored) {
    if (!this.mirror) return;
    this.mirror.set(id, row);
    if (this.mirror.size > this.mirrorRows) this.mirror = null;
  }

  /** the characters of every stored send: summed once, then kept as rows come and go (SQLite's own count) */
  private totalChars = 0;

  private recountChars() {
    this.totalChars = this.sql.exec<{ n: number }>('SELECT coalesce(sum(length(item)), 0) AS n FROM send_queue').one().n;
  }

  /** How much message the queue holds (characters of the stored sends). */
  chars(): number {
    return this.totalChars;
  }

  private depthSql(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM send_queue').one().n;
  }

  /** Rows from the mirror with their messages, read from SQLite by id (in the order given). */
  private withItems(rows: MirroredRow[]): Raw[] {
    if (!rows.length) return [];
    const items = new Map(
      this.sql
        .exec<{ id: string; item: string }>(
          'SELECT id, item FROM send_queue WHERE id IN (SELECT value FROM json_each(?))',
          JSON.stringify(rows.map((r) => r.id)),
        )
        .toArray()
        .map((r) => [r.id, r.item]),
    );
    return rows.flatMap((r) => {
      const item = items.get(r.id);
      if (item !== undefined) return [{ ...r, item }];
      // never expected: a copy without its row would be counted as due forever (and wake the hub again and again)
      console.error(`send queue: ${r.id} was in memory but not in storage; dropped from memory`);
      this.mirror?.delete(r.id);
      return [];
    });
  }

  private recomputeExpiry() {
    if (this.mirror) {
      let at = Number.POSITIVE_INFINITY;
      for (const row of this.mirror.values()) if (row.state === 'queued') at = Math.min(at, row.expires_at);
      this.earliestExpiry = at;
      return;
    }
    const { at } = this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM send_queue WHERE state = 'queued'").one();
    this.earliestExpiry = at ?? Number.POSITIVE_INFINITY;
  }

  /** Adds sends; an id already queued is left as it is (a retried request or a re-claimed schedule). */
  add(items: NewQueued[], expiryMs: number, now = Date.now()): number {
    let added = 0;
    for (const it of items) {
      const item = JSON.stringify(it.send);
      const row: Mirrored = {
        lane: LANES.indexOf(it.lane),
        state: 'queued',
        not_before: it.notBefore,
        expires_at: it.expiresAt ?? now + expiryMs,
        created_at: now,
        attempts: 0,
        last_error: null,
        last_code: null,
        outcome: null,
      };
      const [inserted] = this.sql
        .exec<{ size: number }>(
          it.minted
            ? 'INSERT OR IGNORE INTO send_queue (id, lane, not_before, expires_at, created_at, item) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING length(item) AS size'
            : `INSERT OR IGNORE INTO send_queue (id, lane, not_before, expires_at, created_at, item)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1 FROM send_queue_left WHERE id = ?1) RETURNING length(item) AS size`,
          it.id,
          row.lane,
          row.not_before,
          row.expires_at,
          row.created_at,
          item,
        )
        .toArray();
      if (inserted) {
        added += 1;
        this.totalChars += inserted.size;
        this.keep(it.id, row);
      }
      this.earliestExpiry = Math.min(this.earliestExpiry, row.expires_at);
    }
    return added;
  }

  depth(): number {
    return this.mirror ? this.mirror.size : this.depthSql();
  }

  /** A queued send's state, or null when it is not in the queue. */
  stateOf(id: string): QueueState | null {
    if (this.inFlight.has(id)) return 'sending';
    if (this.mirror) return this.mirror.get(id)?.state ?? null;
    return this.sql.exec<{ state: QueueState }>('SELECT state FROM send_queue WHERE id = ?', id).toArray()[0]?.state ?? null;
  }

  /** The outcome a queued send keeps while its record waits (see KnownOutcome), or null. */
  outcomeOf(id: string): KnownOutcome | null {
    const raw = this.mirror
      ? (this.mirror.get(id)?.outcome ?? null)
      : (this.sql.exec<{ outcome: string | null }>('SELECT outcome FROM send_queue WHERE id = ?', id).toArray()[0]?.outcome ?? null);
    return raw === null ? null : (JSON.parse(raw) as KnownOutcome);
  }

  get(id: string): QueuedRow | null {
    if (this.mirror && !this.mirror.has(id)) return null;
    const [raw] = this.sql.exec<Raw>('SELECT * FROM send_queue WHERE id = ?', id).toArray();
    return raw ? toRow(raw, this.inFlight) : null;
  }

  /** Queued sends that may go now: the interactive lane first, then in the order they came. */
  ready(now: number, limit: number): QueuedRow[] {
    if (!this.mirror)
      return this.sql
        .exec<Raw>(
          "SELECT * FROM send_queue WHERE state = 'queued' AND outcome IS NULL AND not_before <= ? AND expires_at > ? AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY lane, rowid LIMIT ?",
          now,
          now,
          JSON.stringify([...this.inFlight]),
          limit,
        )
        .toArray()
        .map((r) => toRow(r, this.inFlight));
    const byLane: MirroredRow[][] = LANES.map(() => []);
    for (const [id, row] of this.mirror) {
      if (row.state !== 'queued' || row.outcome !== null || row.not_before > now || row.expires_at <= now || this.inFlight.has(id)) continue;
      const lane = byLane[row.lane] ?? byLane[byLane.length - 1]!;
      if (lane.length < limit) lane.push({ id, ...row });
      if (row.lane === 0 && lane.length >= limit) break; // the first lane alone fills the round
    }
    return this.withItems(byLane.flat().slice(0, limit)).map((r) => toRow(r, this.inFlight));
  }

  /** how many rows keep a known outcome (counted when one is kept, recounted as rows leave while any do) */
  private knownRows = 0;

  private recountKnown() {
    this.knownRows = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM send_queue WHERE outcome IS NOT NULL').one().n;
  }

  /**
   * Rows whose outcome is known but not yet recorded (see KnownOutcome), due to be recorded again, not in
   * flight. They never go to the bridge again (`ready` leaves them out) and never expire: they are recorded.
   */
  known(now: number, limit: number): QueuedRow[] {
    if (!this.knownRows) return [];
    const rows = this.mirror
      ? this.withItems(
          [...this.mirror]
            .filter(([id, row]) => row.outcome !== null && row.state === 'queued' && row.not_before <= now && !this.inFlight.has(id))
            .slice(0, limit)
            .map(([id, row]) => ({ id, ...row })),
        )
      : this.sql
          .exec<Raw>(
            "SELECT * FROM send_queue WHERE outcome IS NOT NULL AND state = 'queued' AND not_before <= ? AND id NOT IN (SELECT value FROM json_each(?)) LIMIT ?",
            now,
            JSON.stringify([...this.inFlight]),
            limit,
          )
          .toArray();
    return rows.map((r) => toRow(r, this.inFlight));
  }

  /** When the latest group send still queued may go (null: none queued). Read once per object life. */
  latestGroupSendAt(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT max(not_before) AS at FROM send_queue WHERE state = 'queued' AND outcome IS NULL AND item ->> '$.origin' = 'group'")
      .one().at;
  }

  /** Of these WhatsApp ids, those of sent outcomes kept here unrecorded (their acks wait for the record). */
  unrecorded(whatsappIds: string[]): string[] {
    if (!this.knownRows || !whatsappIds.length) return [];
    const kept = new Set<string>();
    const outcomes = this.mirror
      ? [...this.mirror.values()].flatMap((row) => (row.outcome === null ? [] : [row.outcome]))
      : this.sql
          .exec<{ outcome: string }>('SELECT outcome FROM send_queue WHERE outcome IS NOT NULL')
          .toArray()
          .map((r) => r.outcome);
    for (const raw of outcomes) {
      const o = JSON.parse(raw) as KnownOutcome;
      if (o.kind === 'sent') kept.add(o.messageId);
    }
    return whatsappIds.filter((id) => kept.has(id));
  }

  /** When the first queued row expires, as the last look found it (a lower bound: it may be earlier); null: none. */
  nextExpiryAt(): number | null {
    return Number.isFinite(this.earliestExpiry) ? this.earliestExpiry : null;
  }

  /** When the next known outcome is due to be recorded again (null: none kept). */
  knownNextAt(): number | null {
    if (!this.knownRows) return null;
    if (!this.mirror)
      return this.sql.exec<{ at: number | null }>("SELECT min(not_before) AS at FROM send_queue WHERE outcome IS NOT NULL AND state = 'queued'").one().at;
    let at: number | null = null;
    for (const row of this.mirror.values()) if (row.outcome !== null && row.state === 'queued') at = Math.min(at ?? row.not_before, row.not_before);
    return at;
  }

  /** Queued sends whose time ran out. */
  expired(now: number, limit = 100): QueuedRow[] {
    if (now < this.earliestExpiry) return [];
    let rows: Raw[] = [];
    let next = Number.POSITIVE_INFINITY;
    if (this.mirror) {
      const due: MirroredRow[] = [];
      for (const [id, row] of this.mirror) {
        if (row.state !== 'queued' || row.outcome !== null) continue;
        if (row.expires_at > now) next = Math.min(next, row.expires_at);
        else if (!this.inFlight.has(id) && due.length < limit) due.push({ id, ...row });
      }
      rows = this.withItems(due);
    } else {
      rows.push(
        ...this.sql
          .exec<Raw>(
            "SELECT * FROM send_queue WHERE state = 'queued' AND outcome IS NULL AND expires_at <= ? AND id NOT IN (SELECT value FROM json_each(?)) LIMIT ?",
            now,
            JSON.stringify([...this.inFlight]),
            limit,
          )
          .toArray(),
      );
      if (rows.length < limit)
        next =
          this.sql
            .exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM send_queue WHERE state = 'queued' AND outcome IS NULL AND expires_at > ?", now)
            .one().at ?? Number.POSITIVE_INFINITY;
    }
    // the next look: when the first row not yet expired does (one in flight that fails is put back by retryAt, which looks again)
    if (rows.length < limit) this.earliestExpiry = next;
    return rows.map((r) => toRow(r, this.inFlight));
  }

  /** Rows a cancel began but did not finish (the object restarted in between). */
  cancelling(): QueuedRow[] {
    if (!this.marked.size) return [];
    const rows = this.mirror
      ? this.withItems([...this.mirror].filter(([, row]) => row.state === 'cancelling').map(([id, row]) => ({ id, ...row })))
      : this.sql.exec<Raw>("SELECT * FROM send_queue WHERE state = 'cancelling'").toArray();
    return rows.map((r) => toRow(r, this.inFlight));
  }

  /** Handed to the bridge (in memory: see inFlight). */
  startSending(ids: string[]): void {
    for (const id of ids) this.inFlight.add(id);
  }

  /** Taken back before it went (the governor held it). */
  release(ids: string[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  /** A cancel begins: marked first, with the code it is recorded with, so a restart before it is recorded finishes it as it began. */
  markCancelling(id: string, code: string): void {
    if (this.sql.exec("UPDATE send_queue SET state = 'cancelling', last_code = ? WHERE id = ? AND state = 'queued'", code, id).rowsWritten) this.marked.add(id);
    const row = this.mirror?.get(id);
    if (row?.state === 'queued') {
      row.state = 'cancelling';
      row.last_code = code;
    }
  }

  /**
   * A send that could not go now (bridge or session down, number paused): queued again for `at`, with why.
   * `tried: false` — held back before it was tried (the day's new-contact cap): its tries are not counted.
   * `outcome` — what the bridge answered, when only recording it failed: kept (the next round records it).
   */
  retryAt(
    id: string,
    at: number,
    failure: { code: string; message: string },
    { tried = true, outcome }: { tried?: boolean; outcome?: KnownOutcome } = {},
  ): void {
    const code = failure.code.slice(0, MAX_CODE_CHARS);
    const error = `${code}: ${failure.message}`.slice(0, MAX_ERROR_CHARS); // a bridge's message has no bound of its own
    this.inFlight.delete(id);
    this.marked.delete(id);
    this.earliestExpiry = Math.min(this.earliestExpiry, Date.now());
    const counted = tried ? 1 : 0;
    const known = outcome ? JSON.stringify(outcome) : null;
    this.sql.exec(
      "UPDATE send_queue SET state = 'queued', not_before = ?, last_error = ?, last_code = ?, attempts = attempts + ?, outcome = coalesce(?, outcome) WHERE id = ?",
      at,
      error,
      code,
      counted,
      known,
      id,
    );
    const row = this.mirror?.get(id);
    if (row)
      Object.assign(row, {
        state: 'queued',
        not_before: at,
        last_error: error,
        last_code: code,
        attempts: row.attempts + counted,
        outcome: known ?? row.outcome,
      });
    if (known) this.recountKnown();
  }

  /** Queued rows whose last try failed with one of `codes` (an outage): due at `now` (the number is back). */
  resume(codes: readonly string[], now: number): void {
    this.sql.exec(
      `UPDATE send_queue SET not_before = ?1 WHERE state = 'queued' AND not_before > ?1 AND last_code IN (SELECT value FROM json_each(?2))`,
      now,
      JSON.stringify(codes),
    );
    for (const row of this.mirror?.values() ?? [])
      if (row.state === 'queued' && row.not_before > now && row.last_code !== null && codes.includes(row.last_code)) row.not_before = now;
  }

  /** The code that holds the queued message due first (not in flight), if its last try left one. */
  nextCode(): string | null {
    if (!this.mirror)
      return (
        this.sql
          .exec<{ last_code: string | null }>(
            "SELECT last_code FROM send_queue WHERE state = 'queued' AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY not_before, rowid LIMIT 1",
            JSON.stringify([...this.inFlight]),
          )
          .toArray()[0]?.last_code ?? null
      );
    let first: Mirrored | null = null;
    for (const [id, row] of this.mirror)
      if (row.state === 'queued' && !this.inFlight.has(id) && (first === null || row.not_before < first.not_before)) first = row;
    return first?.last_code ?? null;
  }

  /** Rows an earlier version marked sending in storage: queued again (nothing is in flight after a restart). */
  requeueSending(): number {
    const n = this.sql.exec("UPDATE send_queue SET state = 'queued' WHERE state = 'sending'").rowsWritten;
    for (const row of this.mirror?.values() ?? []) if (row.state === 'sending') row.state = 'queued';
    this.recomputeExpiry();
    return n;
  }

  /** Whether an id left the queue within LEFT_KEPT_MS (its outcome is in D1). */
  leftLately(id: string): boolean {
    return this.sql.exec('SELECT 1 FROM send_queue_left WHERE id = ?', id).toArray().length > 0;
  }

  private prunedLeftAt = 0;

  /** Rows whose outcome is in D1 leave: deleted, and their ids kept for LEFT_KEPT_MS. */
  remove(ids: string[], now = Date.now()): void {
    for (const id of ids) {
      this.inFlight.delete(id);
      this.marked.delete(id);
    }
    if (!ids.length) return;
    const list = JSON.stringify(ids);
    for (const { size } of this.sql.exec<{ size: number }>(
      'DELETE FROM send_queue WHERE id IN (SELECT value FROM json_each(?)) RETURNING length(item) AS size',
      list,
    ))
      this.totalChars -= size;
    this.sql.exec('INSERT OR REPLACE INTO send_queue_left (id, at) SELECT value, ? FROM json_each(?)', now, list);
    if (now - this.prunedLeftAt > LEFT_KEPT_MS / 10) {
      this.prunedLeftAt = now;
      this.sql.exec('DELETE FROM send_queue_left WHERE at < ?', now - LEFT_KEPT_MS);
    }
    if (this.mirror) for (const id of ids) this.mirror.delete(id);
    else if (this.depthSql() <= this.mirrorRows / 2) this.loadMirror(); // well back under the bound: memory answers again
    if (this.knownRows) this.recountKnown();
  }

  clear(): void {
    this.inFlight.clear();
    this.marked.clear();
    this.sql.exec('DELETE FROM send_queue');
    this.sql.exec('DELETE FROM send_queue_left');
    this.mirror = new Map();
    this.totalChars = 0;
    this.knownRows = 0;
  }

  counts(): QueueCounts {
    const c = this.mirror ? this.countMirror() : this.countSql();
    return {
      depth: c.depth,
      interactive: c.interactive,
      bulk: c.depth - c.interactive,
      sending: this.inFlight.size,
      oldestAt: c.oldest,
      nextAt: c.next,
      wakeAt: c.wake,
    };
  }

  private countMirror(): Counted {
    const c: Counted = { depth: this.mirror!.size, interactive: 0, oldest: null, next: null, wake: null };
    const min = (a: number | null, b: number) => (a === null ? b : Math.min(a, b));
    for (const [id, row] of this.mirror!) {
      if (row.lane === 0) c.interactive += 1;
      c.oldest = min(c.oldest, row.created_at);
      if (row.state !== 'queued' || this.inFlight.has(id)) continue;
      c.next = min(c.next, row.not_before);
      // a known outcome never expires (it is recorded): only its next try to record wakes the queue
      c.wake = min(c.wake, row.outcome === null ? Math.min(row.not_before, row.expires_at) : row.not_before);
    }
    return c;
  }

  private countSql(): Counted {
    const [c] = this.sql
      .exec<Counted>(
        `SELECT count(*) AS depth, coalesce(sum(lane = 0), 0) AS interactive,
           min(created_at) AS oldest, min(CASE WHEN state = 'queued' AND NOT in_flight THEN not_before END) AS next,
           min(CASE WHEN state = 'queued' AND NOT in_flight THEN (CASE WHEN outcome IS NULL THEN min(not_before, expires_at) ELSE not_before END) END) AS wake
         FROM (SELECT *, id IN (SELECT value FROM json_each(?)) AS in_flight FROM send_queue)`,
        JSON.stringify([...this.inFlight]),
      )
      .toArray();
    return c ?? { depth: 0, interactive: 0, oldest: null, next: null, wake: null };
  }
}

type Counted = { depth: number; interactive: number; oldest: number | null; next: number | null; wake: number | null };
