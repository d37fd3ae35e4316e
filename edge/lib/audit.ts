// Security and application events, kept per user for GET /api/logs.
import type { Context } from 'hono';
import type { AUDIT_CATEGORIES } from '../../adapters/vocabulary.ts';
import { getDb } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import type { AppEnv } from '../env.ts';
import { clientAddress } from './client-address.ts';

export interface AuditEntry {
  userId: number | null;
  category: (typeof AUDIT_CATEGORIES)[number];
  event: string;
  message: string;
}

export async function audit(c: Context<AppEnv>, entry: AuditEntry): Promise<void> {
  await getDb(c.env.DB)
    .insert(auditLog)
    .values({ ...entry, ip: clientAddress(c) });
}
