// What a Baileys socket reports, as bridge events, in the order it reported it:
// - messages (`messages.upsert`: `notify` live, `append` for what queued up while the bridge was away —
//   de-duplicated by id), reactions, the history sync after pairing (own messages from this number);
// - acks: 1:1 receipts and server nacks (`messages.update`, a 463 nack carries its code), group members'
//   receipts (`message-receipt.update`, only the furthest per message);
// - call offers (rejected at once; offers replayed after an absence are not);
// - the channels the number follows and changes to its groups (./groups.ts).
// Contacts WhatsApp addresses by LID are reported by phone number when the key carries it or Baileys'
// LID mapping knows it (fed by the history sync's lidPnMappings), and by their LID otherwise.
import type { BaileysEventMap, LIDMapping, WAMessage, WAMessageKey } from '@whiskeysockets/baileys';
import type pino from 'pino';
import { normalizeCall } from '../../../adapters/baileys/calls.ts';
import { isLid, normalizeAck, normalizeMessage, normalizeReaction, normalizeReceipt } from '../../../adapters/baileys/messages.ts';
import type { Emit } from '../transport.ts';
import type { GroupDirectory } from './groups.ts';
import type { MessageStore } from './message-store.ts';

/** Most recent history messages kept per sync chunk. */
export const HISTORY_LIMIT = 500;
/** Group messages whose furthest receipt is remembered (the rest may report a receipt again: harmless). */
const RECEIPTS_KEPT = 5000;
/** A call offer WhatsApp replays after a reconnect still rings if it is younger than this: it is rejected. */
export const RINGING_MS = 45_000;

export interface LidMapping {
  getPNForLID(lid: string): Promise<string | null>;
  storeLIDPNMappings(pairs: LIDMapping[]): Promise<void>;
}

export interface InboundSocket {
  ev: { on<E extends keyof BaileysEventMap>(event: E, listener: (data: BaileysEventMap[E]) => void): void };
  rejectCall(callId: string, callFrom: string): Promise<void>;
  signalRepository?: { lidMapping: LidMapping };
}

export interface InboundDeps {
  emit: Emit;
  store: MessageStore;
  groups: GroupDirectory;
  logger: pino.Logger;
  /** this number's digits once connected (the sender of its own messages) */
  me(): string | null;
  /** false once the socket was replaced: its events are ignored */
  current(): boolean;
}

/** The phone number behind a LID, if Baileys' mapping knows it. */
async function pnFor(sock: InboundSocket, jid: string | null | undefined): Promise<string | undefined> {
  if (!isLid(jid)) return undefined;
  return (await sock.signalRepository?.lidMapping.getPNForLID(jid).catch(() => null)) ?? undefined;
}

/** The key with the phone numbers of its LIDs filled in where they were missing. */
export async function withPhoneNumbers(sock: InboundSocket, key: WAMessageKey): Promise<WAMessageKey> {
  const out = { ...key };
  if (isLid(key.remoteJid) && !key.remoteJidAlt) out.remoteJidAlt = await pnFor(sock, key.remoteJid);
  if (isLid(key.participant) && !key.participantAlt) out.participantAlt = await pnFor(sock, key.participant);
  return out;
}

export function listenInbound(sock: InboundSocket, deps: InboundDeps): void {
  const { emit, store, groups, logger } = deps;
  // one chain: events leave in the order Baileys reported them, even when a LID lookup awaits
  let chain: Promise<void> = Promise.resolve();
  const run = (what: string, fn: () => Promise<void>) => {
    chain = chain.then(() => (deps.current() ? fn() : undefined)).catch((err: unknown) => logger.warn({ err }, `handling ${what} failed`));
  };
  const furthest = new Map<string, number>();

  async function received(msg: WAMessage, history: boolean) {
    const key = await withPhoneNumbers(sock, msg.key);
    const resolved = { ...msg, key } as WAMessage;
    if (key.remoteJid?.endsWith('@newsletter')) store.addChannels([key.remoteJid]);
    const reaction = normalizeReaction(resolved);
    if (reaction.ok) {
      if (!key.fromMe && !history) emit(reaction.value);
      return;
    }
    const event = normalizeMessage(resolved, Date.now(), deps.me());
    if (!event.ok) return;
    if (!key.fromMe) {
      if (!history && msg.key.id && store.seen(msg.key.id)) return; // delivered again after a reconnect
      store.saveKey(msg.key, !history); // as WhatsApp addressed it: a read receipt must say the same
      if (event.value.hasMedia) store.saveMedia(msg);
    } else if (!history) return; // our own sends (reported by the send) and other devices' messages
    emit(history ? { ...event.value, history: true } : event.value);
  }

  /** One message at a time: a message that cannot be handled is logged and the rest of its batch still goes. */
  async function each(messages: WAMessage[], history: boolean) {
    for (const msg of messages) {
      try {
        await received(msg, history);
      } catch (err) {
        logger.warn({ err, id: msg.key?.id }, 'a received message could not be handled');
      }
    }
  }

  sock.ev.on('messages.upsert', ({ messages, type }) => {
    if (type !== 'notify' && type !== 'append') return;
    run('messages', () => each(messages, false));
  });

  // the history WhatsApp sends after pairing: the chats' recent messages, so the chat views are not empty
  sock.ev.on('messaging-history.set', ({ messages, chats, lidPnMappings }) => {
    run('history', async () => {
      // rc14 stores these too (without waiting for it here): ours makes sure they are in before the chunk's messages
      if (lidPnMappings?.length)
        await sock.signalRepository?.lidMapping.storeLIDPNMappings(lidPnMappings).catch((err: unknown) => logger.warn({ err }, 'storing LID mappings failed'));
      store.addChannels(chats.map((c) => c.id));
      const recent = [...messages].sort((a, b) => Number(b.messageTimestamp ?? 0) - Number(a.messageTimestamp ?? 0)).slice(0, HISTORY_LIMIT);
      await each(recent, true);
    });
  });

  sock.ev.on('messages.update', (updates) => {
    run('acks', async () => {
      for (const update of updates) {
        if (update.update?.status == null) continue;
        const ack = normalizeAck({ ...update, key: await withPhoneNumbers(sock, update.key) });
        if (ack.ok) emit(ack.value);
      }
    });
  });

  sock.ev.on('message-receipt.update', (updates) => {
    run('receipts', async () => {
      for (const update of updates) {
        const ack = normalizeReceipt(update);
        if (!ack.ok || (furthest.get(ack.value.messageId) ?? 0) >= ack.value.ack) continue;
        furthest.delete(ack.value.messageId);
        furthest.set(ack.value.messageId, ack.value.ack);
        if (furthest.size > RECEIPTS_KEPT) furthest.delete(furthest.keys().next().value!);
        emit(ack.value);
      }
    });
  });

  sock.ev.on('call', (calls) => {
    run('calls', async () => {
      for (const call of calls) {
        const callerPn = call.callerPn ?? (await pnFor(sock, call.from));
        // replayed after a reconnect: still ringing if young (rejected like a live one), long over if not
        const ringing = call.offline && Date.now() - call.date.getTime() < RINGING_MS;
        const event = normalizeCall({ ...call, ...(callerPn ? { callerPn } : {}), ...(ringing ? { offline: false } : {}) });
        if (!event.ok) continue;
        sock.rejectCall(call.id, call.from).catch((err: Error) => logger.warn({ err }, 'rejecting a call failed'));
        emit(event.value);
      }
    });
  });

  sock.ev.on('chats.upsert', (chats) => run('chats', async () => store.addChannels(chats.map((c) => c.id))));
  sock.ev.on('chats.delete', (ids) =>
    run('chats', async () => {
      for (const id of ids) if (id.endsWith('@newsletter')) store.removeChannel(id);
    }),
  );
  sock.ev.on('groups.upsert', (list) => run('groups', async () => groups.update(list)));
  sock.ev.on('groups.update', (list) => run('groups', async () => groups.update(list)));
  sock.ev.on('group-participants.update', ({ id }) => run('groups', async () => groups.membersChanged(id)));
}
