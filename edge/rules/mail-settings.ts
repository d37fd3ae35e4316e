// The account's outgoing mail server for email actions (D1 `mail_settings`): the password sealed at rest,
// shown back never (only whether one is set).
import { eq } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { mailSettings } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { seal, unseal } from '../lib/secrets.ts';
import type { MailSettings } from './mail.ts';

export async function loadMailSettings(env: Bindings, userId: number): Promise<MailSettings | null> {
  const [row] = await getDb(env.DB).select().from(mailSettings).where(eq(mailSettings.userId, userId)).limit(1);
  if (!row) return null;
  return {
    transport: row.transport,
    ...(row.host ? { host: row.host } : {}),
    port: row.port ?? 465,
    security: row.security ?? 'tls',
    ...(row.username ? { username: row.username } : {}),
    ...(row.passwordSealed ? { password: await unseal(env.SEAL_KEY, row.passwordSealed) } : {}),
    from: row.fromEmail,
    ...(row.fromName ? { fromName: row.fromName } : {}),
  };
}

/**
 * Saves the settings; a missing password keeps the saved one (the form never gets it back to resend) —
 * but only for the same server and login: the saved password is never handed to another host, port or
 * user name, so changing those needs the password again (an empty one clears it).
 */
export async function saveMailSettings(env: Bindings, userId: number, s: MailSettings): Promise<void> {
  const db = getDb(env.DB);
  const [current] = await db.select().from(mailSettings).where(eq(mailSettings.userId, userId)).limit(1);
  const sameServer =
    current !== undefined &&
    current.transport === s.transport &&
    (current.host ?? undefined) === s.host &&
    current.port === s.port &&
    (current.username ?? undefined) === s.username;
  // a password is used only to log in to an SMTP server with a user name
  const needsPassword = s.transport === 'smtp' && s.username !== undefined;
  if (s.password === undefined && current?.passwordSealed && !sameServer && needsPassword)
    throw new ApiError(
      400,
      'PASSWORD_REQUIRED',
      'password: give the password again when changing the server, port or user name (it is never sent to another server)',
    );
  const kept = sameServer && needsPassword ? (current?.passwordSealed ?? null) : null;
  const passwordSealed = s.password !== undefined ? (s.password ? await seal(env.SEAL_KEY, s.password) : null) : kept;
  const values = {
    transport: s.transport,
    host: s.host ?? null,
    port: s.port,
    security: s.security,
    username: s.username ?? null,
    passwordSealed,
    fromEmail: s.from,
    fromName: s.fromName ?? null,
    updatedAt: Date.now(),
  };
  await db
    .insert(mailSettings)
    .values({ userId, ...values })
    .onConflictDoUpdate({ target: mailSettings.userId, set: values });
}

export async function deleteMailSettings(env: Bindings, userId: number): Promise<boolean> {
  const gone = await getDb(env.DB).delete(mailSettings).where(eq(mailSettings.userId, userId)).returning({ userId: mailSettings.userId });
  return gone.length > 0;
}

/** What the API shows: everything but the password. */
export async function mailSettingsView(env: Bindings, userId: number) {
  const [row] = await getDb(env.DB).select().from(mailSettings).where(eq(mailSettings.userId, userId)).limit(1);
  if (!row) return null;
  return {
    transport: row.transport,
    host: row.host,
    port: row.port,
    security: row.security,
    username: row.username,
    passwordSet: row.passwordSealed !== null,
    from: row.fromEmail,
    fromName: row.fromName,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
