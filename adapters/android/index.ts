// Android companion payloads (the spec's `{type, data}`, JSON or form-encoded) → typed webhook events.
import type { WebhookEvent } from '../events.ts';
import { fail, type Result } from '../result.ts';
import type { AndroidContext, ReplyRoute } from './fields.ts';
import { parseForm } from './form.ts';
import { normalizeNotification } from './notification.ts';
import { normalizeSms } from './sms.ts';
import { normalizeUssd } from './ussd.ts';
import { normalizeWhatsapp } from './whatsapp.ts';

export type { AndroidContext, ReplyRoute } from './fields.ts';
export { parseForm } from './form.ts';

export const ANDROID_TYPES = ['sms', 'whatsapp', 'ussd', 'notification'] as const;
export type AndroidType = (typeof ANDROID_TYPES)[number];

export interface Normalized {
  event: WebhookEvent;
  /** the same payload posted twice has the same key */
  dedupeKey: string;
  /** where a webhook reply (`response`) goes back, for inbound messages */
  reply?: ReplyRoute;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A body as the device sent it: JSON text, or a form body, by content type. */
export function parseAndroidBody(body: string, contentType: string | undefined): Result<Record<string, unknown>> {
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) return { ok: true, value: parseForm(body) };
  if (type.includes('json') || /^\s*[{[]/.test(body)) {
    try {
      const value: unknown = JSON.parse(body);
      return isRecord(value) ? { ok: true, value } : fail('body must be a JSON object with type and data');
    } catch {
      return fail('body is not valid JSON');
    }
  }
  return body.includes('=') ? { ok: true, value: parseForm(body) } : fail('body must be JSON or form-encoded');
}

export function normalizeAndroid(payload: unknown, ctx: AndroidContext): Result<Normalized> {
  if (!isRecord(payload)) return fail('payload must be an object with type and data');
  const { type, data } = payload;
  if (typeof type !== 'string' || !(ANDROID_TYPES as readonly string[]).includes(type)) {
    return fail(`type must be one of ${ANDROID_TYPES.join(', ')}`);
  }
  if (!isRecord(data)) return fail('data must be an object');
  switch (type as AndroidType) {
    case 'sms':
      return normalizeSms(data, ctx);
    case 'whatsapp':
      return normalizeWhatsapp(data, ctx);
    case 'ussd':
      return normalizeUssd(data, ctx);
    case 'notification':
      return normalizeNotification(data, ctx);
  }
}
