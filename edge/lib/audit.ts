// Security and application events, kept per user for GET /api/logs. Repeated failures from one address
// (bad keys, rate limits) fold into one row with a count, so a flood cannot grow the log row by row.
import type { Context } from 'hono';
import type { AUDIT_CATEGORIES } from '../../adapters/vocabulary.ts';
import type { AppEnv } from '../env.ts';
import { clientAddress } from './client-address.ts';

export interface AuditEntry {
  userId: number | null;
  category: (typeof AUDIT_CATEGORIES)[number];
  event: string;
  message: string;
}

/** Events that repeat under attack: folded per (event, user, address) within FOLD_WINDOW_MS. */
const FOLDED = new Set(['auth_failed', 'rate_limited', 'key_reset_failed', 'login_failed', 'delete_refused']);
export const FOLD_WINDOW_MS = 10 * 60_000;

export async function audit(c: Context<AppEnv>, entry: AuditEntry): Promise<void> {
  const ip = clientAddress(c);
  const now = Date.now();
  const db = c.env.DB;
  if (FOLDED.has(entry.event)) {
    const folded = await db
      .prepare(
        `UPDATE audit_log SET count = count + 1, last_at = ?1, message = ?2
         WHERE id = (SELECT id FROM audit_log WHERE event = ?3 AND ip = ?4 AND user_id IS ?5 AND created_at > ?6 ORDER BY id DESC LIMIT 1)
         RETURNING id`,
      )
      .bind(now, entry.message, entry.event, ip, entry.userId, now - FOLD_WINDOW_MS)
      .first<{ id: number }>();
    if (folded) return;
  }
  await db
    .prepare('INSERT INTO audit_log (user_id, category, event, message, ip, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(entry.userId, entry.category, entry.event, entry.message, ip, now)
    .run();
}
