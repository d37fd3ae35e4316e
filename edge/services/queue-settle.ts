// A queued send's outcome, written to D1 in one batch: the sent_messages row (keyed by the queue id, so
// writing it twice changes nothing), the chat summary, the webhook (message_sent or message_failed,
// deduplicated by the queue id) and the scheduled row it came from. The queue row is deleted after this.
import type { WebhookEvent } from '../../adapters/events.ts';
import { chatIdOf } from '../../adapters/protocol.ts';
import { asD1, batchAll, type Db, type Write } from '../db/client.ts';
import { and, eq, inArray } from 'drizzle-orm';
import { scheduledMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { clientEventWrites, wakeForEvent } from '../webhooks/enqueue.ts';
import { wakeRulesAfter } from '../rules/inbox.ts';
import { isPrivateChat, sentSummariesWrites } from './chat-summary.ts';
import { jsonChunks } from '../lib/sql-list.ts';
import type { ClientRow } from './clients.ts';
import type { KnownOutcome, QueuedRow } from './queue-store.ts';
import { rememberSends } from './recent-sends.ts';

export type Settled = { row: QueuedRow } & KnownOutcome;

/** A settled send's outcome without its row (what the queue keeps when recording it failed). */
export const outcomeOf = (s: Settled): KnownOutcome =>
  s.kind === 'sent' ? { kind: 'sent', messageId: s.messageId, timestamp: s.timestamp } : { kind: s.kind, code: s.code, message: s.message, at: s.at };

function scheduledUpdate(db: Db, s: Settled): Write | null {
  const id = s.row.send.scheduledId;
  if (id === undefined) return null;
  const open = and(eq(scheduledMessages.id, id), inArray(scheduledMessages.status, ['queued', 'sending', 'pending']));
  const set =
    s.kind === 'sent'
      ? { status: 'sent' as const, sentAt: s.timestamp, failureReason: null }
      : { status: s.kind, failureReason: s.kind === 'failed' ? `${s.code}: ${s.message}` : null };
  return db
    .update(scheduledMessages)
    .set({ ...set, messageId: s.row.id, leaseUntil: null })
    .where(open);
}

/** One sent_messages row: its values in the order `sentRowsWrites` reads them. */
type SentRow = [
  queueId: string,
  recipient: string,
  message: string,
  mediaUrl: string | null,
  messageId: string | null,
  status: string,
  error: string | null,
  sentAt: number,
];

/**
 * Every outcome's sent_messages row in one statement — more when their texts are long (jsonChunks) — a row
 * already there (the same queue id) kept.
 */
function sentRowsWrites(d1: D1Database, client: ClientRow, rows: SentRow[]): D1PreparedStatement[] {
  const insert = d1.prepare(
    `INSERT INTO sent_messages (user_id, client_ref, queue_id, recipient, message, media_url, message_id, status, error, sent_at)
     SELECT ?1, ?2, r ->> 0, r ->> 1, r ->> 2, r ->> 3, r ->> 4, r ->> 5, r ->> 6, r ->> 7 FROM (SELECT value AS r FROM json_each(?3)) WHERE true
     ON CONFLICT DO NOTHING`,
  );
  return jsonChunks(rows).map((json) => insert.bind(client.userId, client.id, json));
}

/** What one outcome writes beside its sent_messages row and chat summary: its webhook, rule event, scheduled row. */
async function othersFor(db: Db, client: ClientRow, s: Settled): Promise<Write[]> {
  const { send } = s.row;
  const text = send.text ?? '';
  let event: WebhookEvent | null = null;
  if (s.kind === 'sent') {
    event = {
      event: 'message_sent',
      data: {
        from: client.clientId,
        to: send.to,
        body: text,
        message: text,
        timestamp: s.timestamp,
        type: 'sent_message',
        channel: 'whatsapp',
        messageId: s.row.id,
      },
    };
  } else if (s.kind === 'failed') {
    event = {
      event: 'message_failed',
      data: {
        messageId: s.row.id,
        from: client.clientId,
        to: send.to,
        body: text,
        code: s.code,
        error: s.message,
        timestamp: s.at,
        type: 'message_failed',
        channel: 'whatsapp',
      },
    };
  }
  const writes: Write[] = [];
  const scheduled = scheduledUpdate(db, s);
  if (scheduled) writes.push(scheduled);
  if (event) writes.push(...(await clientEventWrites(db, client, event, `${s.kind}:${s.row.id}`, { fromRule: send.origin === 'rule' })));
  return writes;
}

const sentRowOf = (s: Settled): SentRow => {
  const { send } = s.row;
  const base = [s.row.id, send.to, send.text ?? '', send.media?.url ?? null] as const;
  return s.kind === 'sent' ? [...base, s.messageId, 'sent', null, s.timestamp] : [...base, null, s.kind, `${s.code}: ${s.message}`, s.at];
};

/** Records outcomes in D1 (batches of 100 statements) and wakes the client's webhook sender. */
export async function settle(env: Bindings, db: Db, client: ClientRow, settled: Settled[], waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  if (!settled.length) return;
  // the rows and summaries of every outcome in one statement each (no per-message statement to build or run)
  const summaries = settled.flatMap((s) => {
    const chatId = chatIdOf(s.row.send.to);
    return s.kind === 'sent' && isPrivateChat(chatId) ? [{ chatId, body: s.row.send.text ?? '', at: s.timestamp }] : [];
  });
  const writes = [...sentRowsWrites(env.DB, client, settled.map(sentRowOf)), ...sentSummariesWrites(env.DB, client.id, summaries)];
  for (const s of settled) for (const w of await othersFor(db, client, s)) writes.push(asD1(env.DB, w));
  await batchAll(env.DB, writes);
  rememberSends(
    client.id,
    settled.flatMap((s) => (s.kind === 'sent' ? [{ messageId: s.messageId, queueId: s.row.id }] : [])),
  );
  wakeForEvent(env, client, 'message_sent', waitUntil);
  if (settled.some((s) => s.kind === 'failed')) wakeRulesAfter(env, client.userId, 'message_failed', waitUntil);
}
