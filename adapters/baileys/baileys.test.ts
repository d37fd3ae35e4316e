import { describe, expect, it } from 'vitest';
import calls from '../../test/fixtures/baileys/call.json';
import updates from '../../test/fixtures/baileys/messages-update.json';
import upsert from '../../test/fixtures/baileys/messages-upsert.json';
import { BridgeEventSchema } from '../protocol.ts';
import { normalizeCall } from './calls.ts';
import { normalizeAck, normalizeMessage } from './messages.ts';

const asCall = (c: (typeof calls)[number]) => ({ ...c, date: new Date(c.date) }) as never;

describe('Baileys messages.upsert → message events', () => {
  const results = upsert.messages.map((m) => normalizeMessage(m as never));

  it('normalizes text, group, media and wrapped messages', () => {
    expect(results[0]).toEqual({
      ok: true,
      value: {
        kind: 'message',
        messageId: '3EB0C767F26AFC1F8B01',
        from: '972501234567',
        chatId: '972501234567@c.us',
        fromMe: false,
        body: 'שלום! hello 👋',
        type: 'chat',
        timestamp: 1699123456000,
        hasMedia: false,
        pushName: 'Dana',
      },
    });
    expect(results[1]).toMatchObject({
      ok: true,
      value: { from: '15550000002', chatId: '120363123456789012@g.us', groupId: '120363123456789012@g.us', body: 'group hello' },
    });
    expect(results[2]).toMatchObject({ ok: true, value: { type: 'image', body: 'look', hasMedia: true, mimetype: 'image/jpeg' } });
    expect(results[3]).toMatchObject({
      ok: true,
      value: { from: '15550000003', chatId: '15550000003@c.us', type: 'document', body: 'invoice', filename: 'invoice.pdf' },
    });
    for (const r of results) if (r.ok) expect(BridgeEventSchema.safeParse(r.value).success).toBe(true);
  });

  it('keeps fromMe, and skips status broadcasts, protocol messages and reactions', () => {
    expect(results[4]).toMatchObject({ ok: true, value: { fromMe: true } });
    expect(results.slice(5).map((r) => r.ok)).toEqual([false, false, false]);
  });

  it('never throws on malformed messages', () => {
    for (const bad of [
      {},
      { key: {} },
      { key: { remoteJid: 'x@s.whatsapp.net', id: '1' } },
      { key: { remoteJid: 'x@s.whatsapp.net', id: '1' }, message: { unknownMessage: {} } },
    ]) {
      expect(normalizeMessage(bad as never).ok).toBe(false);
    }
  });
});

describe('Baileys messages.update → acks', () => {
  it('maps server ack, delivery, read and error to 1, 2, 3 and -1; ignores the rest', () => {
    const acks = updates.map((u) => normalizeAck(u as never));
    expect(acks.map((a) => (a.ok ? a.value.ack : null))).toEqual([1, 2, 3, -1, null, null]);
    expect(acks[1]).toEqual({ ok: true, value: { kind: 'ack', messageId: 'OUT1', to: '972501234567', ack: 2 } });
  });
});

describe('Baileys call → call events', () => {
  it('turns offers into call events (the caller number even behind a LID) and ignores the rest', () => {
    const events = calls.map((c) => normalizeCall(asCall(c)));
    expect(events[0]).toEqual({
      ok: true,
      value: { kind: 'call', callId: 'CALL0001', from: '15550000002', isVideo: true, timestamp: Date.parse('2023-11-04T18:44:16.000Z') },
    });
    expect(events[1]?.ok).toBe(false);
    expect(events[2]).toMatchObject({ ok: true, value: { from: '15550000009', isVideo: false } });
  });
});
