// What the Baileys session reports from its socket, driven with rc14's own shapes (test/fixtures/baileys/rc14.ts)
// through Baileys' own event buffer, with Baileys' own LID mapping store over the session's SQLite keys.
import { WAMessageStatus } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { batch, callOffer, groupReceipt, nack, receipt, received } from '../../../test/fixtures/baileys/rc14.ts';
import { harness } from './harness.ts';

const LID = '123456789012345@lid';

describe('Baileys inbound', () => {
  it('reports received messages and reactions, and rejects live calls at once', async () => {
    const h = harness();
    await h.connected();
    const sock = h.last();
    sock.emit('messages.upsert', { messages: batch(), type: 'notify' });
    sock.emit('call', [callOffer('15550000002@s.whatsapp.net', 'CALL1')]);
    await h.until(() => h.ofKind('call').length === 1);
    expect(h.ofKind('message').map((m) => m.messageId)).toEqual([
      '3EB0C767F26AFC1F8B01',
      '3EB0A1B2C3D4E5F60002',
      '3EB0A1B2C3D4E5F60003',
      '3EB0A1B2C3D4E5F60004',
    ]);
    expect(h.ofKind('reaction')).toEqual([{ kind: 'reaction', messageId: 'OUT1', from: '972501234567', emoji: '👍' }]);
    expect(sock.rejectCall).toHaveBeenCalledWith('CALL1', '15550000002@s.whatsapp.net');
    expect(h.ofKind('call')[0]).toMatchObject({ callId: 'CALL1', from: '15550000002', isVideo: false });
  });

  it('messages that queued while the bridge was away (`append`) arrive, each once even when WhatsApp delivers it again', async () => {
    const h = harness();
    await h.connected();
    const offline = [
      received({ from: '972501234567@s.whatsapp.net', id: 'OFF1', offline: '1' }, { conversation: 'while you were away' }),
      received({ from: '972501234567@s.whatsapp.net', id: 'OFF2', offline: '1' }, { conversation: 'and this' }),
    ];
    h.last().emit('messages.upsert', { messages: offline, type: 'append' });
    h.last().emit('messages.upsert', { messages: [offline[1]!], type: 'notify' });
    h.last().emit('messages.upsert', { messages: [received({ from: '972501234567@s.whatsapp.net', id: 'LIVE1' }, { conversation: 'now' })], type: 'notify' });
    await h.until(() => h.ofKind('message').length >= 3);
    await h.tick();
    expect(h.ofKind('message').map((m) => [m.messageId, m.body])).toEqual([
      ['OFF1', 'while you were away'],
      ['OFF2', 'and this'],
      ['LIVE1', 'now'],
    ]);
  });

  it('a LID sender without a number is reported, replied to and called back at its LID; once the mapping is known, by number', async () => {
    const h = harness();
    await h.connected();
    const sock = h.last();
    sock.emit('messages.upsert', { messages: [received({ from: LID, addressing_mode: 'lid', id: 'L1' }, { conversation: 'who am i' })], type: 'notify' });
    sock.emit('call', [callOffer(LID, 'CALL-L1')]);
    await h.until(() => h.ofKind('call').length === 1);
    expect(h.ofKind('message')[0]).toMatchObject({ from: LID, chatId: LID });
    expect(h.ofKind('call')[0]).toMatchObject({ from: LID });
    // the history sync's LID↔number pairs go into Baileys' mapping store (persisted with the keys)
    sock.emit('messaging-history.set', {
      chats: [],
      contacts: [],
      messages: [],
      isLatest: true,
      lidPnMappings: [{ lid: LID, pn: '972521112222@s.whatsapp.net' }],
    });
    sock.emit('messages.upsert', { messages: [received({ from: LID, addressing_mode: 'lid', id: 'L2' }, { conversation: 'me again' })], type: 'notify' });
    sock.emit('call', [callOffer(LID, 'CALL-L2')]);
    sock.emit('messages.update', [receipt(LID, 'OUT7', WAMessageStatus.READ)]);
    await h.until(() => h.ofKind('call').length === 2 && h.ofKind('ack').length === 1);
    expect(h.ofKind('message')[1]).toMatchObject({ from: '972521112222', chatId: '972521112222@c.us' });
    expect(h.ofKind('call')[1]).toMatchObject({ from: '972521112222' });
    expect(h.ofKind('ack')[0]).toMatchObject({ messageId: 'OUT7', to: '972521112222', ack: 3 });
  });

  it('history: own messages are from this number; channels met there are listed', async () => {
    const h = harness();
    await h.connected();
    h.last().emit('messaging-history.set', {
      chats: [{ id: '120363999999999999@newsletter' } as never],
      contacts: [],
      messages: batch(),
      isLatest: true,
    });
    await h.until(() => h.ofKind('message').length === 5);
    const own = h.ofKind('message').find((m) => m.fromMe);
    expect(own).toMatchObject({ from: '972500000001', chatId: '972501234567@c.us', history: true });
    expect(h.ofKind('message').every((m) => m.history)).toBe(true);
    const groups = await h.session.groups();
    expect(groups).toEqual([expect.objectContaining({ id: '120363999999999999@newsletter', type: 'channel' })]);
  });

  it('group members’ receipts become acks, only the furthest per message; a 463 nack fails the send with its code', async () => {
    const h = harness();
    await h.connected();
    const g = '120363123456789012@g.us';
    h.last().emit('message-receipt.update', [
      groupReceipt(g, 'OUT5', '15550000002@s.whatsapp.net', 'receiptTimestamp'),
      groupReceipt(g, 'OUT5', '15550000003@s.whatsapp.net', 'receiptTimestamp'),
      groupReceipt(g, 'OUT5', '15550000002@s.whatsapp.net', 'readTimestamp'),
    ]);
    h.last().emit('messages.update', [nack('15550000077@s.whatsapp.net', 'OUT9', '463')]);
    await h.until(() => h.ofKind('ack').length === 3);
    await h.tick();
    expect(h.ofKind('ack').map((a) => [a.messageId, a.ack, a.error])).toEqual([
      ['OUT5', 2, undefined],
      ['OUT5', 3, undefined],
      ['OUT9', -1, '463'],
    ]);
  });

  it('read receipts reuse each message’s key as it came: a group’s names its participant, a LID chat its LID', async () => {
    const h = harness();
    await h.connected();
    const g = '120363123456789012@g.us';
    h.last().emit('messages.upsert', {
      messages: [
        received({ from: g, participant: LID, participant_pn: '972521112222@s.whatsapp.net', addressing_mode: 'lid', id: 'G1' }, { conversation: 'hi group' }),
        received({ from: LID, addressing_mode: 'lid', id: 'D1' }, { conversation: 'hi you' }),
      ],
      type: 'notify',
    });
    await h.until(() => h.ofKind('message').length === 2);
    await h.session.read(g, ['G1', 'NEVER-SEEN']);
    expect(h.last().readMessages).toHaveBeenLastCalledWith([{ remoteJid: g, participant: LID, fromMe: false, id: 'G1' }]);
    await h.session.read(LID, ['D1']);
    expect(h.last().readMessages).toHaveBeenLastCalledWith([expect.objectContaining({ remoteJid: LID, id: 'D1', fromMe: false })]);
  });

  it('an offer replayed after an absence is neither rejected nor answered — unless it still rings', async () => {
    const h = harness();
    await h.connected();
    const ringing = { ...callOffer('15550000003@s.whatsapp.net', 'RINGING', { offline: true }), date: new Date(Date.now() - 5000) };
    h.last().emit('call', [callOffer('15550000002@s.whatsapp.net', 'OLD', { offline: true }), ringing, callOffer('15550000002@s.whatsapp.net', 'NEW')]);
    await h.until(() => h.ofKind('call').length === 2);
    await h.tick();
    expect(h.ofKind('call').map((c) => c.callId)).toEqual(['RINGING', 'NEW']);
    expect(h.last().rejectCall).toHaveBeenCalledTimes(2);
  });

  it('a message first seen in the history sync is still reported when it arrives live', async () => {
    const h = harness();
    await h.connected();
    const msg = received({ from: '972501234567@s.whatsapp.net', id: 'BOTH1' }, { conversation: 'seen twice' });
    h.last().emit('messaging-history.set', { chats: [], contacts: [], messages: [msg], isLatest: true });
    h.last().emit('messages.upsert', { messages: [msg], type: 'append' });
    h.last().emit('messages.upsert', { messages: [msg], type: 'notify' });
    await h.until(() => h.ofKind('message').length >= 2);
    await h.tick();
    expect(h.ofKind('message').map((m) => [m.messageId, Boolean(m.history)])).toEqual([
      ['BOTH1', true],
      ['BOTH1', false],
    ]);
  });

  it('a message that cannot be handled does not take the rest of its batch with it', async () => {
    const h = harness();
    await h.connected();
    const broken = received({ from: '972501234567@s.whatsapp.net', id: 'BROKEN' }, { conversation: 'x' });
    Object.defineProperty(broken.key, 'remoteJid', {
      get: () => {
        throw new Error('corrupt');
      },
    });
    const fine = received({ from: '972501234567@s.whatsapp.net', id: 'FINE' }, { conversation: 'still here' });
    h.last().emit('messages.upsert', { messages: [broken, fine], type: 'notify' });
    await h.until(() => h.ofKind('message').length === 1);
    expect(h.ofKind('message')[0]).toMatchObject({ messageId: 'FINE' });
  });
});
