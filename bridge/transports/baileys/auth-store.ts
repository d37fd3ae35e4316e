// Baileys auth state in the bridge's SQLite (one row of creds and a key table per client), the
// DB-backed store Baileys recommends over its multi-file demo, every value sealed at rest (../../seal.ts).
// Wrap `keys` in makeCacheableSignalKeyStore.
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { AuthEntry } from '../../../adapters/protocol.ts';
import { CLEAR_ALL } from '../../auth-state.ts';
import type { BridgeDb } from '../../db.ts';
import type { Sealer } from '../../seal.ts';

export interface SqliteAuthState {
  state: { creds: AuthenticationCreds; keys: SignalKeyStore };
  saveCreds: () => Promise<void>;
  /** erase everything (logged out) */
  clear: () => void;
  /** whether this client was ever paired (not merely asked for a pairing code, which already sets `me`) */
  registered: () => boolean;
}

/** Rows an older bridge wrote in plaintext are sealed in place the first time the client starts. */
function resealLegacyRows(db: BridgeDb, clientRef: number, sealer: Sealer): void {
  const creds = db.prepare("SELECT creds FROM baileys_creds WHERE client_ref = ? AND creds NOT LIKE 'v1:%'").get(clientRef) as { creds: string } | undefined;
  if (creds) db.prepare('UPDATE baileys_creds SET creds = ? WHERE client_ref = ?').run(sealer.seal(creds.creds), clientRef);
  const keys = db.prepare("SELECT type, id, value FROM baileys_keys WHERE client_ref = ? AND value NOT LIKE 'v1:%'").all(clientRef) as {
    type: string;
    id: string;
    value: string;
  }[];
  const update = db.prepare('UPDATE baileys_keys SET value = ? WHERE client_ref = ? AND type = ? AND id = ?');
  for (const k of keys) update.run(sealer.seal(k.value), clientRef, k.type, k.id);
}

/** Each write as auth entries (sealed values), for the edge's copy (bridge/auth-state.ts). */
export type AuthChanged = (entries: AuthEntry[]) => void;

export function useSqliteAuthState(db: BridgeDb, clientRef: number, sealer: Sealer, changed: AuthChanged = () => {}): SqliteAuthState {
  const encode = (value: unknown) => sealer.seal(JSON.stringify(value, BufferJSON.replacer));
  const decode = <T>(text: string): T => JSON.parse(sealer.open(text), BufferJSON.reviver) as T;
  resealLegacyRows(db, clientRef, sealer);
  const row = db.prepare('SELECT creds FROM baileys_creds WHERE client_ref = ?').get(clientRef) as { creds: string } | undefined;
  const creds: AuthenticationCreds = row ? decode<AuthenticationCreds>(row.creds) : initAuthCreds();
  const getKey = db.prepare('SELECT value FROM baileys_keys WHERE client_ref = ? AND type = ? AND id = ?');
  const putKey = db.prepare('INSERT OR REPLACE INTO baileys_keys (client_ref, type, id, value) VALUES (?, ?, ?, ?)');
  const delKey = db.prepare('DELETE FROM baileys_keys WHERE client_ref = ? AND type = ? AND id = ?');

  const keys: SignalKeyStore = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const r = getKey.get(clientRef, type, id) as { value: string } | undefined;
        if (!r) continue;
        let value = decode<unknown>(r.value);
        if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    set: async (data: SignalDataSet) => {
      const written: AuthEntry[] = [];
      db.exec('BEGIN');
      try {
        for (const type of Object.keys(data) as (keyof SignalDataTypeMap)[]) {
          for (const [id, value] of Object.entries(data[type] ?? {})) {
            if (value) {
              const sealed = encode(value);
              putKey.run(clientRef, type, id, sealed);
              written.push({ type: `key:${type}`, id, value: sealed });
            } else {
              delKey.run(clientRef, type, id);
              written.push({ type: `key:${type}`, id, value: null });
            }
          }
        }
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
      if (written.length) changed(written);
    },
  };

  return {
    state: { creds, keys },
    saveCreds: async () => {
      const sealed = encode(creds);
      db.prepare('INSERT OR REPLACE INTO baileys_creds (client_ref, creds) VALUES (?, ?)').run(clientRef, sealed);
      changed([{ type: 'creds', id: '', value: sealed }]);
    },
    clear: () => {
      db.prepare('DELETE FROM baileys_creds WHERE client_ref = ?').run(clientRef);
      db.prepare('DELETE FROM baileys_keys WHERE client_ref = ?').run(clientRef);
      db.prepare('DELETE FROM sent_messages WHERE client_ref = ?').run(clientRef);
      changed([{ type: CLEAR_ALL, id: '', value: null }]);
    },
    registered: () => Boolean(creds.registered || (creds.me?.id && !creds.pairingCode)),
  };
}
