// Field schemas for Android gateway payloads: JSON numbers or form strings, both accepted.
import { z } from '@hono/zod-openapi';

/** An integer sent as a number or a numeric string; absent or empty → null. */
export const looseInt = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((v, ctx) => {
    if (v === null || v === undefined || v === '') return null;
    const n = typeof v === 'number' ? v : Number(v.trim());
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: 'expected an integer' });
      return z.NEVER;
    }
    return n;
  });

/** Text sent as a string or a number (phone numbers arrive both ways). */
export const text = (max: number) => z.union([z.string(), z.number()]).transform(String).pipe(z.string().max(max));
export const optionalText = (max: number) =>
  z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((v) => (v === null || v === undefined ? null : String(v)))
    .pipe(z.string().max(max).nullable());

export const phone = text(32).pipe(
  z
    .string()
    .trim()
    .regex(/^\+?[0-9A-Za-z ()\-.]{1,32}$/, 'not a phone number or sender id'),
);

/** Seconds or milliseconds since the epoch → milliseconds; absent → the receive time. */
export function toMillis(ts: number | null, receivedAt: number): number {
  if (ts === null || ts <= 0) return receivedAt;
  return ts < 1e12 ? ts * 1000 : ts;
}

export interface AndroidContext {
  /** Switchboard's id for the device that posted */
  deviceId: string;
  /** when Switchboard received the payload (ms) */
  receivedAt: number;
}

/** Where a reply to an inbound message goes back. */
export interface ReplyRoute {
  channel: 'sms' | 'whatsapp';
  to: string;
  sim: number | null;
}

/**
 * What makes a payload the same payload: the device's ids AND its content (with the device's own
 * timestamp), so a retry is dropped while a reinstalled app, whose ids start again, is never taken for
 * a repeat of old messages.
 */
export const dedupeKey = (kind: string, ...parts: (string | number | null)[]): string => `${kind}:${JSON.stringify(parts)}`;

export const describeIssues = (error: z.ZodError): string => error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
