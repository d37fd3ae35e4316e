// Stored messages survive as protobuf: a received media message's mediaKey comes back as the same bytes, so the
// phone's answer to a re-upload request (encrypted under a key derived from it) opens — the JSON round trip it
// replaced gave base64 text, and Baileys' hkdf then derived another key.
import { aesEncryptGCM, BufferJSON, decryptMediaRetryData, hkdf, proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { batch } from '../../../test/fixtures/baileys/rc14.ts';
import { openBridgeDb } from '../../db.ts';
import { sealerFor } from '../../seal.ts';
import { KEPT, MessageStore } from './message-store.ts';

const sealer = sealerFor(Buffer.alloc(32, 3));

describe('Baileys message store', () => {
  it('a stored media message keeps its mediaKey bytes, so re-upload and download derive the right keys', async () => {
    const db = openBridgeDb(':memory:');
    const store = new MessageStore(db, 7, sealer);
    const original = batch()[2]!;
    store.saveMedia(original);
    const back = store.media(original.key.id!)!;
    const key = back.message!.imageMessage!.mediaKey!;
    expect(key).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(key)).toEqual(Buffer.from(original.message!.imageMessage!.mediaKey!));
    // the phone re-uploaded the media and answers under the retry key of the true mediaKey (as updateMediaMessage expects)
    const retryKey = hkdf(original.message!.imageMessage!.mediaKey!, 32, { info: 'WhatsApp Media Retry Notification' });
    const iv = Buffer.alloc(12, 9);
    const answer = proto.MediaRetryNotification.encode({ stanzaId: original.key.id, directPath: '/v/reuploaded', result: 1 }).finish();
    const ciphertext = aesEncryptGCM(answer, retryKey, iv, Buffer.from(original.key.id!));
    expect(decryptMediaRetryData({ ciphertext, iv }, key, original.key.id!).directPath).toBe('/v/reuploaded');
    // what the JSON round trip gave: text, which does not open it
    const viaJson = JSON.parse(JSON.stringify(proto.WebMessageInfo.fromObject(original).toJSON()), BufferJSON.reviver);
    expect(typeof viaJson.message.imageMessage.mediaKey).toBe('string');
    expect(() => decryptMediaRetryData({ ciphertext, iv }, viaJson.message.imageMessage.mediaKey, original.key.id!)).toThrow();
    // sealed at rest: the key's bytes are not in the file
    const row = db.prepare('SELECT ref FROM media_refs').get() as { ref: string };
    expect(row.ref.startsWith('v1:')).toBe(true);
    expect(row.ref).not.toContain(Buffer.from(original.message!.imageMessage!.mediaKey!).toString('base64'));
  });

  it('keeps a bounded number of rows per client and forgets everything on logout', () => {
    const db = openBridgeDb(':memory:');
    const store = new MessageStore(db, 7, sealer);
    const other = new MessageStore(db, 8, sealer);
    for (let i = 0; i < KEPT.sent + 150; i++) store.saveSent(`S${i}`, { conversation: `m${i}` });
    other.saveSent('X', { conversation: 'other client' });
    const count = (ref: number) => (db.prepare('SELECT count(*) AS n FROM sent_messages WHERE client_ref = ?').get(ref) as { n: number }).n;
    expect(count(7)).toBeLessThanOrEqual(KEPT.sent + 100);
    expect(store.sent(`S${KEPT.sent + 149}`)?.conversation).toBe(`m${KEPT.sent + 149}`);
    store.saveMedia(batch()[2]!);
    store.saveKey(batch()[0]!.key);
    store.addChannels(['120363999999999999@newsletter']);
    store.clear();
    expect(count(7)).toBe(0);
    expect(store.media(batch()[2]!.key.id!)).toBeUndefined();
    expect(store.keys([batch()[0]!.key.id!]).size).toBe(0);
    expect(store.channels()).toEqual([]);
    expect(other.sent('X')?.conversation).toBe('other client');
  });

  it('reads rows an older bridge wrote as JSON', () => {
    const db = openBridgeDb(':memory:');
    db.prepare('INSERT INTO sent_messages (client_ref, id, message, at) VALUES (7, ?, ?, 1)').run(
      'OLD',
      JSON.stringify({ conversation: 'legacy' }, BufferJSON.replacer),
    );
    expect(new MessageStore(db, 7, sealer).sent('OLD')?.conversation).toBe('legacy');
  });
});
