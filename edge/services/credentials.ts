// What a long-lived connection (a live socket) was opened with, and whether that still holds: a login not
// ended or expired, an API key not reset or deleted. Only hashes are kept.
import { sha256Hex } from '../lib/secrets.ts';

export type Credential = `login:${string}` | `key:${string}`;

export async function credentialOf(via: 'session' | 'key', presented: string): Promise<Credential> {
  return via === 'session' ? `login:${await sha256Hex(presented)}` : `key:${await sha256Hex(presented)}`;
}

export async function credentialAlive(db: D1Database, credential: string, now = Date.now()): Promise<boolean> {
  const [kind, hash] = credential.split(':');
  if (!hash) return false;
  const row =
    kind === 'login'
      ? await db.prepare('SELECT 1 AS ok FROM sessions WHERE token_hash = ?1 AND expires_at > ?2').bind(hash, now).first()
      : kind === 'key'
        ? await db.prepare('SELECT 1 AS ok FROM api_keys WHERE key_hash = ?1').bind(hash).first()
        : null;
  return Boolean(row);
}
