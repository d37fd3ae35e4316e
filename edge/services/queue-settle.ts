// A queued send's outcome, written to D1 in one batch: the sent_messages row (keyed by the queue id, so
// writing it twice changes nothing), the chat summary, the webhook (message_sent or message_failed,
// deduplicated by the queue id) and the scheduled row it came from. The queue row is deleted after this.
import type { WebhookEvent } from '../../adapters/events.ts';
import { chatIdOf } from '../../adapters/protocol.ts';
import type { Db } from '../db/client.ts';
import { and, eq, inArray } from 'drizzle-orm';
import { scheduledMessages, sentMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { clientEventWrites, wakeForEvent } from '../webhooks/enqueue.ts';
import { wakeRulesAfter } from '../rules/inbox.ts';
import { isPrivateChat, summaryWrite } from './chat-summary.ts';
import type { ClientRow } from './clients.ts';
import type { QueuedRow } from './queue-store.ts';

export type Settled =
  | { row: QueuedRow; kind: 'sent'; messageId: string; timestamp: number }
  | { row: QueuedRow; kind: 'failed' | 'cancelled'; code: string; message: string; at: number };

type Write = Parameters<Db['batch']>[0][number];

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

async function writesFor(db: Db, client: ClientRow, s: Settled): Promise<Write[]> {
  const { send } = s.row;
  const text = send.text ?? '';
  const base = { userId: client.userId, clientRef: client.id, queueId: s.row.id, recipient: send.to, message: text, mediaUrl: send.media?.url ?? null };
  const writes: Write[] = [];
  let event: WebhookEvent | null = null;
  if (s.kind === 'sent') {
    writes.push(
      db
        .insert(sentMessages)
        .values({ ...base, messageId: s.messageId, status: 'sent', sentAt: s.timestamp })
        .onConflictDoNothing(),
    );
    const chatId = chatIdOf(send.to);
    if (isPrivateChat(chatId)) writes.push(summaryWrite(db, { clientRef: client.id, chatId, body: text, at: s.timestamp, fromMe: true }));
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
  } else {
    const error = `${s.code}: ${s.message}`;
    writes.push(
      db
        .insert(sentMessages)
        .values({ ...base, status: s.kind, error, sentAt: s.at })
        .onConflictDoNothing(),
    );
    if (s.kind === 'failed') {
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
  }
  const scheduled = scheduledUpdate(db, s);
  if (scheduled) writes.push(scheduled);
  if (event) writes.push(...(await clientEventWrites(db, client, event, `${s.kind}:${s.row.id}`, { fromRule: send.origin === 'rule' })));
  return writes;
}

/** Records outcomes in D1 (batches of 100 statements) and wakes the client's webhook sender. */
export async function settle(env: Bindings, db: Db, client: ClientRow, settled: Settled[], waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  if (!settled.length) return;
  const writes: Write[] = [];
  for (const s of settled) writes.push(...(await writesFor(db, client, s)));
  for (let i = 0; i < writes.length; i += 100) {
    const [first, ...rest] = writes.slice(i, i + 100);
    if (first) await db.batch([first, ...rest]);
  }
  wakeForEvent(env, client, 'message_sent', waitUntil);
  if (settled.some((s) => s.kind === 'failed')) wakeRulesAfter(env, client.userId, 'message_failed', waitUntil);
}
