import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LEFT_KEPT_MS, type NewQueued, QueueStore } from './queue-store.ts';

const T = 1_700_000_000_000;
const item = (i: number, over: Partial<NewQueued> = {}): NewQueued => ({
  id: `q${i}`,
  lane: i % 3 === 0 ? 'interactive' : 'bulk',
  notBefore: T + (i % 4) * 1000,
  expiresAt: T + 10_000 + i * 500,
  send: { origin: 'api', to: `1555000${String(i).padStart(4, '0')}`, text: `message ${i}` },
  ...over,
});

/** Runs `fn` against the SQLite storage of a fresh Durable Object (a rate limiter's: it has no send_queue of its own). */
async function withStorage(fn: (sql: SqlStorage) => void) {
  await runInDurableObject(env.RATE_LIMITER.getByName(`queue-store-${crypto.randomUUID()}`), (_obj, state) => fn(state.storage.sql));
}

/** What a store answers, at `now`, of everything not in flight. */
const view = (s: QueueStore, now: number) => ({
  depth: s.depth(),
  ready: s.ready(now, 7).map((r) => [r.id, r.state, r.attempts, r.lastError]),
  all: s.ready(now, 1000).map((r) => r.id),
  counts: s.counts(),
  cancelling: s.cancelling().map((r) => [r.id, r.lastCode]),
  got: s.get('q4'),
  nextCode: s.nextCode(),
  chars: s.chars(),
});

describe('QueueStore', () => {
  it('answers from memory exactly what SQLite answers, through adds, retries, cancels, removes and expiry', async () => {
    await withStorage((sql) => {
      const live = new QueueStore(sql);
      const fromSql = () => new QueueStore(sql, 0); // a restarted object, reading SQLite only
      expect(
        live.add(
          Array.from({ length: 30 }, (_, i) => item(i)),
          60_000,
          T,
        ),
      ).toBe(30);
      expect(live.add([item(3), item(31)], 60_000, T)).toBe(1); // a repeated id is left as it is
      expect(live.mirrored).toBe(true);
      const check = (now: number) => {
        const reference = fromSql();
        expect(reference.mirrored).toBe(false);
        expect(view(live, now)).toEqual(view(reference, now));
      };
      check(T);
      check(T + 2500);
      live.retryAt('q0', T + 5000, { code: 'SESSION_NOT_CONNECTED', message: 'away' });
      live.retryAt('q3', T - 1, { code: 'NEW_CONTACT_CAP', message: 'tomorrow' }, { tried: false }); // held back: no try counted
      expect(live.get('q3')).toMatchObject({ attempts: 0, lastError: 'NEW_CONTACT_CAP: tomorrow' });
      expect(live.nextCode()).toBe('NEW_CONTACT_CAP'); // due first now
      live.markCancelling('q6', 'CANCELLED');
      live.markCancelling('q7', 'FALLBACK_SMS');
      live.remove(['q1', 'q2', 'q9']);
      check(T + 3000);
      check(T + 6000);
      // the number is back: what waited out the outage is due now; a row held for another reason is not
      live.retryAt('q5', T + 9000, { code: 'WHATSAPP_RATE_LIMIT', message: '463' });
      live.retryAt('q8', T + 9000, { code: 'SESSION_NOT_CONNECTED_X', message: 'SESSION_NOT_CONNECTED: a code that only starts like one' });
      live.retryAt('q10', T + 9000, { code: 'BRIDGE_ERROR', message: 'x'.repeat(10_000) });
      expect(live.get('q10')?.lastError).toHaveLength(500); // a bridge's message is cut, in memory and on disk alike
      live.resume(['BRIDGE_UNAVAILABLE', 'SESSION_NOT_CONNECTED'], T + 3000);
      expect(live.ready(T + 3000, 100).map((r) => r.id)).toContain('q0');
      expect(live.ready(T + 3000, 100).map((r) => r.id)).not.toContain('q5');
      expect(live.ready(T + 3000, 100).map((r) => r.id)).not.toContain('q8');
      check(T + 3000);
      // expiry at 10 s + i × 0.5 s: q0, q3 and q4 by 12.1 s (q1, q2 were removed; q6, q7 are being cancelled)
      const expired = live
        .expired(T + 12_100)
        .map((r) => r.id)
        .sort(); // in no particular order
      expect(expired).toEqual(['q0', 'q3', 'q4']);
      expect(
        fromSql()
          .expired(T + 12_100)
          .map((r) => r.id)
          .sort(),
      ).toEqual(expired);
      live.remove(expired);
      check(T + 12_200);
    });
  });

  it("a queue kept before failures had a code (or outcome) column still resumes its outage's rows on reconnect", async () => {
    await withStorage((sql) => {
      sql.exec(`CREATE TABLE send_queue (id TEXT PRIMARY KEY, lane INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'queued',
        not_before INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, item TEXT NOT NULL)`);
      const old = (id: string, error: string | null) =>
        sql.exec(
          'INSERT INTO send_queue (id, lane, not_before, expires_at, created_at, attempts, last_error, item) VALUES (?, 1, ?, ?, ?, 1, ?, ?)',
          id,
          T + 30_000,
          T + 60_000,
          T,
          error,
          JSON.stringify({ origin: 'api', to: '15550000001', text: id }),
        );
      old('waited-outage', 'BRIDGE_UNAVAILABLE: The bridge link is closed');
      old('rate-limited', 'WHATSAPP_RATE_LIMIT: 463');
      old('never-tried', null);
      for (const mirror of [undefined, 0]) {
        const store = new QueueStore(sql, mirror);
        store.resume(['BRIDGE_UNAVAILABLE'], T + 1000);
        expect(store.ready(T + 1000, 10).map((r) => [r.id, r.lastError, r.outcome])).toEqual([
          ['waited-outage', 'BRIDGE_UNAVAILABLE: The bridge link is closed', null],
        ]);
        // and it keeps an outcome whose record failed (a column it did not have either)
        const outcome = { kind: 'sent' as const, messageId: 'WA1', timestamp: T };
        store.retryAt('never-tried', T + 2000, { code: 'SETTLE_FAILED', message: 'D1 down' }, { tried: false, outcome });
        expect(new QueueStore(sql, mirror).get('never-tried')).toMatchObject({ outcome, attempts: 1, lastError: 'SETTLE_FAILED: D1 down' });
      }
    });
  });

  it('a kept outcome: never ready or expired, found by known() when due, and it wakes the queue only for its next record, in memory and in SQL', async () => {
    await withStorage((sql) => {
      for (const mirror of [undefined, 0]) {
        const s = new QueueStore(sql, mirror);
        s.clear();
        s.add([item(1, { expiresAt: T + 1000 }), item(2, { notBefore: T, expiresAt: T + 60_000 })], 60_000, T);
        const outcome = { kind: 'sent' as const, messageId: 'WA1', timestamp: T };
        s.retryAt('q1', T + 5000, { code: 'SETTLE_FAILED', message: 'D1 down' }, { outcome });
        const at = T + 2000; // q1 is past its expiry, its record not yet due
        expect(s.ready(at, 10).map((r) => r.id)).toEqual(['q2']);
        expect(s.expired(at).map((r) => r.id)).toEqual([]);
        expect(s.known(at, 10)).toEqual([]);
        expect(s.knownNextAt()).toBe(T + 5000);
        s.startSending(['q2']);
        expect(s.counts().wakeAt).toBe(T + 5000); // not q1's expiry, long past: no alarm storm
        expect(s.known(T + 5000, 10).map((r) => [r.id, r.outcome])).toEqual([['q1', outcome]]);
        s.remove(['q1', 'q2'], T + 5000);
        expect([s.knownNextAt(), s.depth()]).toEqual([null, 0]);
      }
    });
  });

  it('an id that left is not queued again for LEFT_KEPT_MS, and the list of them is pruned after it', async () => {
    await withStorage((sql) => {
      const s = new QueueStore(sql);
      s.add([item(1), item(2)], 60_000, T);
      s.remove(['q1'], T);
      expect(s.add([item(1)], 60_000, T + 1000)).toBe(0);
      expect(s.leftLately('q1')).toBe(true);
      s.remove(['q2'], T + LEFT_KEPT_MS + 1); // a later leaving prunes what is older than the window
      expect(s.leftLately('q1')).toBe(false);
      expect(sql.exec<{ n: number }>('SELECT count(*) AS n FROM send_queue_left').one().n).toBe(1);
      expect(s.add([item(1)], 60_000, T + LEFT_KEPT_MS + 2)).toBe(1);
    });
  });

  it('in memory, the interactive lane goes first and what is with the bridge is left out', async () => {
    await withStorage((sql) => {
      const s = new QueueStore(sql);
      s.add([item(1), item(2), item(3), item(6)], 60_000, T);
      s.startSending(['q3']);
      expect(s.ready(T + 5000, 10).map((r) => r.id)).toEqual(['q6', 'q1', 'q2']);
      expect(s.ready(T + 5000, 1).map((r) => r.id)).toEqual(['q6']);
      expect(s.get('q3')?.state).toBe('sending');
      expect(s.counts()).toMatchObject({ depth: 4, interactive: 2, bulk: 2, sending: 1 });
    });
  });

  it('past its bound it answers from SQLite, and from memory again once back under half of it', async () => {
    await withStorage((sql) => {
      const s = new QueueStore(sql, 3);
      s.add([item(1), item(2), item(3)], 60_000, T);
      expect(s.mirrored).toBe(true);
      s.add([item(4), item(6)], 60_000, T);
      expect(s.mirrored).toBe(false);
      expect(s.ready(T + 5000, 10).map((r) => r.id)).toEqual(['q3', 'q6', 'q1', 'q2', 'q4']);
      expect(s.depth()).toBe(5);
      s.remove(['q1', 'q2']);
      expect(s.mirrored).toBe(false); // 3 left: not yet well under the bound
      s.remove(['q3', 'q4']);
      expect(s.mirrored).toBe(true); // 1 left: at most half the bound
      s.add([item(8)], 60_000, T);
      expect(s.ready(T + 5000, 10).map((r) => r.id)).toEqual(['q6', 'q8']);
      expect(new QueueStore(sql, 3).mirrored).toBe(true); // a restart loads it
    });
  });

  it('messages stay on disk: a round reads the long texts it sends, in full', async () => {
    await withStorage((sql) => {
      const s = new QueueStore(sql);
      const texts = ['x', 'y', 'z'].map((c) => c.repeat(60_000));
      s.add(
        texts.map((text, i) => item(i + 1, { lane: 'bulk', send: { origin: 'api', to: `1555000000${i}`, text } })),
        60_000,
        T,
      );
      expect(s.mirrored).toBe(true);
      expect(s.ready(T + 5000, 10).map((r) => r.send.text)).toEqual(texts);
      expect(s.get('q2')?.send.text).toBe(texts[1]);
      expect(s.stateOf('q2')).toBe('queued');
      s.startSending(['q2']);
      expect(s.stateOf('q2')).toBe('sending');
      expect(s.stateOf('nope')).toBeNull();
    });
  });
});
