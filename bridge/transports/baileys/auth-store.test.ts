import { proto } from '@whiskeysockets/baileys';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openBridgeDb } from '../../db.ts';
import { sealerFor } from '../../seal.ts';
import type { AuthEntry } from '../../../adapters/protocol.ts';
import { exportAuth, restoreAuth } from '../../auth-state.ts';
import { useSqliteAuthState } from './auth-store.ts';

const sealer = sealerFor(randomBytes(32));

it('round-trips creds and signal keys (Buffers included) through SQLite across a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-auth-'));
  const file = join(dir, 'bridge.sqlite');
  try {
    let db = openBridgeDb(file);
    const first = useSqliteAuthState(db, 1, sealer);
    expect(first.registered()).toBe(false);
    first.state.creds.me = { id: '972501234567:3@s.whatsapp.net', name: 'Shop' };
    await first.saveCreds();
    const preKey = { private: Buffer.from('a'.repeat(32)), public: Buffer.from('b'.repeat(32)) };
    const syncKey = proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.from('k'.repeat(32)), timestamp: 5 });
    await first.state.keys.set({ 'pre-key': { '1': preKey, '2': preKey }, 'app-state-sync-key': { AAA: syncKey } });
    await first.state.keys.set({ 'pre-key': { '2': null } });
    useSqliteAuthState(db, 2, sealer).saveCreds();
    db.close();
    // at rest nothing is readable: not the number, not a key (the file, WAL included)
    const bytes = [file, `${file}-wal`]
      .map((f) => {
        try {
          return readFileSync(f).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(bytes).not.toContain('972501234567');
    expect(bytes).not.toContain('a'.repeat(32));
    expect(bytes).not.toContain(Buffer.from('a'.repeat(32)).toString('base64'));
    // another key cannot open them
    const wrong = openBridgeDb(file);
    expect(() => useSqliteAuthState(wrong, 1, sealerFor(randomBytes(32)))).toThrow();
    wrong.close();

    db = openBridgeDb(file);
    const again = useSqliteAuthState(db, 1, sealer);
    expect(again.registered()).toBe(true);
    expect(again.state.creds.me?.id).toBe('972501234567:3@s.whatsapp.net');
    expect(Buffer.from(again.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    const keys = await again.state.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(keys['1']!.private).toString()).toBe('a'.repeat(32));
    expect(keys['2']).toBeUndefined();
    const sync = await again.state.keys.get('app-state-sync-key', ['AAA']);
    expect(sync.AAA).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    again.clear();
    expect(useSqliteAuthState(db, 1, sealer).registered()).toBe(false);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('seals plaintext rows an older bridge left, the first time the client starts', async () => {
  const db = openBridgeDb(':memory:');
  db.prepare('INSERT INTO baileys_creds (client_ref, creds) VALUES (?, ?)').run(5, JSON.stringify({ me: { id: '972500000005:1@s.whatsapp.net' } }));
  db.prepare('INSERT INTO baileys_keys (client_ref, type, id, value) VALUES (?, ?, ?, ?)').run(5, 'pre-key', '1', JSON.stringify({ k: 'plain' }));
  const state = useSqliteAuthState(db, 5, sealer);
  expect(state.registered()).toBe(true);
  expect((db.prepare('SELECT creds FROM baileys_creds WHERE client_ref = 5').get() as { creds: string }).creds).toMatch(/^v1:/);
  expect((db.prepare('SELECT value FROM baileys_keys WHERE client_ref = 5').get() as { value: string }).value).toMatch(/^v1:/);
  expect(await state.state.keys.get('pre-key', ['1'])).toEqual({ '1': { k: 'plain' } });
});

it('every write goes to the edge as sealed entries, and another bridge with the fleet key resumes from them', async () => {
  const reported: AuthEntry[][] = [];
  const a = openBridgeDb(':memory:');
  const first = useSqliteAuthState(a, 9, sealer, (entries) => reported.push(entries));
  first.state.creds.me = { id: '972501234567:3@s.whatsapp.net', name: 'Shop' };
  first.state.creds.registered = true;
  await first.saveCreds();
  const preKey = { private: Buffer.from('p'.repeat(32)), public: Buffer.from('q'.repeat(32)) };
  await first.state.keys.set({ 'pre-key': { '7': preKey, '8': preKey }, session: { '15550000001.0': Buffer.from('session-bytes') } });
  await first.state.keys.set({ 'pre-key': { '8': null } });
  const sent = reported.flat();
  // sealed: the edge never sees the number or a key
  expect(JSON.stringify(sent)).not.toContain('972501234567');
  expect(JSON.stringify(sent)).not.toContain(Buffer.from('p'.repeat(32)).toString('base64'));
  expect(sent.map((e) => `${e.type}/${e.id}/${e.value === null ? 'deleted' : 'sealed'}`)).toEqual([
    'creds//sealed',
    'key:pre-key/7/sealed',
    'key:pre-key/8/sealed',
    'key:session/15550000001.0/sealed',
    'key:pre-key/8/deleted',
  ]);
  // the edge keeps the latest value of each entry; the next holder restores them and is the same linked device
  const kept = new Map<string, AuthEntry>();
  for (const e of sent) {
    if (e.value === null) kept.delete(`${e.type}/${e.id}`);
    else kept.set(`${e.type}/${e.id}`, e);
  }
  const b = openBridgeDb(':memory:');
  expect(restoreAuth(b, 9, [...kept.values()])).toBe(true);
  const resumed = useSqliteAuthState(b, 9, sealer);
  expect(resumed.registered()).toBe(true);
  expect(resumed.state.creds.me?.id).toBe('972501234567:3@s.whatsapp.net');
  expect(Buffer.from(resumed.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
  const keys = await resumed.state.keys.get('pre-key', ['7', '8']);
  expect(Object.keys(keys)).toEqual(['7']);
  expect(Buffer.from(keys['7']!.private).equals(preKey.private)).toBe(true);
  expect(exportAuth(b, 9)).toEqual(exportAuth(a, 9));
  // a logout clears the edge's copy too
  first.clear();
  expect(reported.at(-1)).toEqual([{ type: '*', id: '', value: null }]);
});
