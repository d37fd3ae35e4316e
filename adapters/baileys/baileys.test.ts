// The Baileys adapters over fixtures in rc14's own shapes (test/fixtures/baileys/rc14.ts).
import { WAMessageStatus } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { batch, callOffer, groupReceipt, nack, receipt, received } from '../../test/fixtures/baileys/rc14.ts';
import { BridgeEventSchema } from '../protocol.ts';
import { normalizeCall } from './calls.ts';
import { normalizeAck, normalizeMessage, normalizeReaction, normalizeReceipt } from './messages.ts';

describe('Baileys messages.upsert → message events', () => {
  const results = batch().map((m) => normalizeMessage(m, Date.now(), '972500000001'));

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
    // LID-addressed with sender_pn: the number, not the LID — and the LID beside it
    expect(results[3]).toMatchObject({
      ok: true,
      value: { from: '15550000003', chatId: '15550000003@c.us', senderLid: '123456789012345@lid', type: 'document', body: 'invoice', filename: 'invoice.pdf' },
    });
    // a PN-addressed message that names the sender's LID (sender_lid) carries it too; one that names none does not
    const pn = normalizeMessage(received({ from: '15550000003@s.whatsapp.net', sender_lid: '123456789012345@lid', id: 'PNL' }, { conversation: 'x' }));
    expect(pn).toMatchObject({ ok: true, value: { from: '15550000003', chatId: '15550000003@c.us', senderLid: '123456789012345@lid' } });
    expect((results[0] as { value: object }).value).not.toHaveProperty('senderLid');
    for (const r of results) if (r.ok) expect(BridgeEventSchema.safeParse(r.value).success).toBe(true);
  });

  it('a message this number sent from its phone is from this number, in the chat with the other person', () => {
    expect(results[4]).toMatchObject({ ok: true, value: { fromMe: true, from: '972500000001', chatId: '972501234567@c.us' } });
  });

  it('skips status broadcasts, protocol messages and reactions (reactions are their own event)', () => {
    expect(results.slice(5).map((r) => r.ok)).toEqual([false, false, false]);
    expect(normalizeReaction(batch()[7]!)).toEqual({ ok: true, value: { kind: 'reaction', messageId: 'OUT1', from: '972501234567', emoji: '👍' } });
  });

  it('a LID sender whose number the stanza does not carry is its LID — never the LID digits as a number', () => {
    const dm = normalizeMessage(received({ from: '123456789012345@lid', addressing_mode: 'lid', id: 'L1' }, { conversation: 'hi' }));
    expect(dm).toMatchObject({ ok: true, value: { from: '123456789012345@lid', chatId: '123456789012345@lid' } });
    const group = normalizeMessage(
      received({ from: '120363123456789012@g.us', participant: '123456789012345@lid', addressing_mode: 'lid', id: 'L2' }, { conversation: 'hi' }),
    );
    expect(group).toMatchObject({ ok: true, value: { from: '123456789012345@lid', chatId: '120363123456789012@g.us' } });
    if (dm.ok) expect(BridgeEventSchema.safeParse(dm.value).success).toBe(true);
  });

  it('hosted addresses are numbers and LIDs like the others; a channel post is from the channel, never from its digits', () => {
    const hostedLid = normalizeMessage({ key: { remoteJid: '123456789012345@hosted.lid', id: 'H1', fromMe: false }, message: { conversation: 'x' } });
    expect(hostedLid).toMatchObject({ ok: true, value: { from: '123456789012345@lid', chatId: '123456789012345@lid' } });
    const hostedPn = normalizeMessage({ key: { remoteJid: '15550000004@hosted', id: 'H2', fromMe: false }, message: { conversation: 'x' } });
    expect(hostedPn).toMatchObject({ ok: true, value: { from: '15550000004', chatId: '15550000004@c.us' } });
    const post = normalizeMessage(received({ from: '120363999999999999@newsletter', id: 'N1', server_id: '7' }, { conversation: 'news' }));
    expect(post).toMatchObject({ ok: true, value: { from: '120363999999999999@newsletter', chatId: '120363999999999999@newsletter' } });
  });

  it('unwraps every wrapper rc14 unwraps (view-once v2 extension, associated child, group status)', () => {
    const inner = { imageMessage: { caption: 'wrapped', mimetype: 'image/jpeg' } };
    for (const wrapper of ['viewOnceMessageV2Extension', 'associatedChildMessage', 'groupStatusMessage', 'groupStatusMessageV2']) {
      const msg = received({ from: '972501234567@s.whatsapp.net', id: `W-${wrapper}`, type: 'media' }, { [wrapper]: { message: inner } });
      expect(normalizeMessage(msg), wrapper).toMatchObject({ ok: true, value: { type: 'image', body: 'wrapped', hasMedia: true } });
    }
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

describe('Baileys receipts → acks', () => {
  it('1:1 receipts (messages.update): delivery, read and played are 2, 3 and 4; a sender receipt is 1', () => {
    const acks = [WAMessageStatus.SERVER_ACK, WAMessageStatus.DELIVERY_ACK, WAMessageStatus.READ, WAMessageStatus.PLAYED].map((s) =>
      normalizeAck(receipt('972501234567@s.whatsapp.net', 'OUT1', s)),
    );
    expect(acks.map((a) => (a.ok ? a.value.ack : null))).toEqual([1, 2, 3, 4]);
    expect(acks[1]).toEqual({ ok: true, value: { kind: 'ack', messageId: 'OUT1', to: '972501234567', ack: 2 } });
    // receipts of messages this number received (read on another device) are not acks of a send
    expect(normalizeAck({ key: { remoteJid: '972501234567@s.whatsapp.net', id: 'IN1', fromMe: false }, update: { status: 4 } }).ok).toBe(false);
  });

  it('a server nack is a failure carrying WhatsApp’s code (463: reach-out limit)', () => {
    expect(normalizeAck(nack('15550000077@s.whatsapp.net', 'OUT9', '463'))).toEqual({
      ok: true,
      value: { kind: 'ack', messageId: 'OUT9', to: '15550000077', ack: -1, error: '463' },
    });
  });

  it('group members’ receipts (message-receipt.update) are acks of the group message', () => {
    const g = '120363123456789012@g.us';
    expect(normalizeReceipt(groupReceipt(g, 'OUT5', '15550000002@s.whatsapp.net', 'receiptTimestamp'))).toEqual({
      ok: true,
      value: { kind: 'ack', messageId: 'OUT5', to: g, ack: 2 },
    });
    expect(normalizeReceipt(groupReceipt(g, 'OUT5', '123456789012345@lid', 'readTimestamp'))).toMatchObject({ ok: true, value: { ack: 3 } });
  });
});

describe('Baileys call → call events', () => {
  it('turns live offers into call events: the number when known, else the LID; never the LID digits', () => {
    expect(normalizeCall(callOffer('15550000002@s.whatsapp.net', 'CALL0001', { isVideo: true }))).toEqual({
      ok: true,
      value: { kind: 'call', callId: 'CALL0001', from: '15550000002', isVideo: true, timestamp: 1732300000000 },
    });
    expect(normalizeCall(callOffer('99887766554433@lid', 'CALL0002', { callerPn: '15550000009@s.whatsapp.net' }))).toMatchObject({
      ok: true,
      value: { from: '15550000009', callerLid: '99887766554433@lid' },
    });
    expect(normalizeCall(callOffer('99887766554433@lid', 'CALL0003'))).toMatchObject({ ok: true, value: { from: '99887766554433@lid' } });
  });

  it('ignores offers replayed after the bridge was offline, and everything but offers', () => {
    expect(normalizeCall(callOffer('15550000002@s.whatsapp.net', 'CALL0004', { offline: true })).ok).toBe(false);
    expect(normalizeCall({ ...callOffer('15550000002@s.whatsapp.net', 'CALL0001'), status: 'terminate' }).ok).toBe(false);
  });
});
