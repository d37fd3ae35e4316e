// The `email` rule action's transport: one message, over SMTP (a TCP socket from the Worker or Durable
// Object, `cloudflare:sockets`) or through Cloudflare's `send_email` binding. The MIME message is built by
// worker-mailer's `Email` class; the SMTP conversation is our own, because worker-mailer's client spins
// forever when a server hangs up mid-reply, leaves the socket open when the handshake fails, and treats
// an advertised AUTH as required. `sendMail` never throws: it answers a MailResult.
//
// This module is imported by the OpenAPI generator in Node (the schema), so the `cloudflare:*` modules
// and worker-mailer (which imports `cloudflare:sockets`) are loaded only when a mail is sent.
import { z } from '@hono/zod-openapi';
import { allowPrivateUrls, checkOutboundUrl } from '../../adapters/url-guard.ts';
import { buildMessage, clip, isAddress, MESSAGE_ID, unstuffed } from './mail-message.ts';
import { sendSmtp } from './smtp.ts';
import {
  DEFAULT_PORTS,
  MAIL_SECURITY,
  MAIL_TIMEOUT_MS,
  MAIL_TRANSPORTS,
  type MailResult,
  type MailSecurity,
  type MailSettings,
  type MailTransport,
  normalizeMailHost,
  type OutgoingMail,
} from './mail-types.ts';

export {
  DEFAULT_PORTS,
  MAIL_SECURITY,
  MAIL_TIMEOUT_MS,
  MAIL_TRANSPORTS,
  type MailResult,
  type MailSecurity,
  type MailSettings,
  type MailTransport,
  normalizeMailHost,
  type OutgoingMail,
} from './mail-types.ts';

const hasControl = (s: string) => /\p{Cc}/u.test(s);

const MAX_RECIPIENTS = 50;

export const MailSettingsInputSchema = z
  .object({
    transport: z.enum(MAIL_TRANSPORTS).default('smtp').openapi({
      description: '`smtp`: your mail server. `cloudflare`: the Worker’s `send_email` binding named `EMAIL` (Cloudflare Email Service)',
    }),
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .refine((h) => normalizeMailHost(h) !== undefined, { message: 'host: a host name or IP address, e.g. smtp.example.com' })
      .optional()
      .openapi({ description: 'The SMTP server (required with `smtp`); loopback and private addresses are refused', example: 'smtp.example.com' }),
    port: z.number().int().min(1).max(65535).optional().openapi({ description: 'Default 465 with `tls`, 587 with `starttls`, 25 with `none`', example: 465 }),
    security: z.enum(MAIL_SECURITY).default('tls').openapi({
      description:
        '`tls`: TLS from the start (port 465). `starttls`: plain, then upgraded (port 587); refused when the server does not offer it. `none`: plain text, refused except in local test setups',
    }),
    username: z
      .string()
      .max(256)
      .refine((u) => !hasControl(u), { message: 'username: no control characters' })
      .optional()
      .openapi({ description: 'SMTP AUTH user; no AUTH when left out' }),
    password: z
      .string()
      .max(512)
      .refine((p) => !/[\0\r\n]/.test(p), { message: 'password: no NUL or line breaks' })
      .optional()
      .openapi({ description: 'SMTP AUTH password; stored sealed, never returned' }),
    from: z.email().max(254).openapi({ description: 'The sender address (also the SMTP envelope sender)', example: 'alerts@example.com' }),
    fromName: z
      .string()
      .trim()
      .max(100)
      .refine((n) => !hasControl(n), { message: 'fromName: no control characters' })
      .optional()
      .openapi({ example: 'Switchboard' }),
  })
  .superRefine((s, ctx) => {
    if (s.transport === 'smtp' && !s.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'host: the SMTP server is required with transport smtp' });
  })
  .openapi('MailSettingsInput');

export type MailSettingsInput = z.infer<typeof MailSettingsInputSchema>;

export function resolveMailSettings(input: MailSettingsInput): MailSettings {
  return { ...input, port: input.port ?? DEFAULT_PORTS[input.security] };
}

/** Why these settings may not be used here, or null when they may. Run it when saving and before sending. */
/** The ports mail servers listen on; others are refused outside local setups (a port scanner otherwise). */
export const MAIL_PORTS = [25, 465, 587, 2525];

export function checkMailSettings(
  s: { transport: MailTransport; host?: string; port?: number; security?: MailSecurity },
  opts: { allowPrivate: boolean; hasBinding: boolean },
): string | null {
  if (s.transport === 'cloudflare') return opts.hasBinding ? null : 'transport cloudflare: the Worker has no send_email binding named EMAIL';
  if (!s.host) return 'host: the SMTP server is required with transport smtp';
  const host = normalizeMailHost(s.host);
  if (!host) return `host: ${JSON.stringify(s.host)} is not a host name or IP address`;
  const guard = checkOutboundUrl(`https://${host}/`, { allowPrivate: opts.allowPrivate });
  if (!guard.ok) return `host: ${guard.reason}`;
  if (s.port !== undefined && !MAIL_PORTS.includes(s.port) && !opts.allowPrivate) return `port: ${s.port} is not a mail port (${MAIL_PORTS.join(', ')})`;
  if ((s.security ?? 'tls') === 'none' && !opts.allowPrivate)
    return 'security none is refused: it would send your SMTP password and the mail in plain text over the internet; use tls (port 465) or starttls (port 587)';
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Cloudflare's send_email binding

interface SendEmailBinding {
  send(message: unknown): Promise<unknown>;
}

const isBinding = (b: unknown): b is SendEmailBinding => typeof (b as SendEmailBinding | undefined)?.send === 'function';

/** The binding's refusals that a later try may get past; anything else (not allowed, not verified, bad message) is permanent. */
const TEMPORARY = /timed? ?out|temporar|unavailable|try again|rate.?limit|too many|internal error|network|overloaded/i;

async function sendCloudflare(binding: SendEmailBinding, settings: MailSettings, recipients: string[], raw: string): Promise<MailResult> {
  const { EmailMessage } = await import('cloudflare:email');
  const sent: string[] = [];
  // EmailMessage takes one envelope recipient: one send each, the same message (To: lists them all)
  for (const to of recipients) {
    try {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${MAIL_TIMEOUT_MS / 1000} s`)), MAIL_TIMEOUT_MS);
      });
      try {
        await Promise.race([binding.send(new EmailMessage(settings.from, to, raw)), late]);
      } finally {
        clearTimeout(timer);
      }
      sent.push(to);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const partly = sent.length ? ` (already sent to ${sent.join(', ')})` : '';
      // after a partial send a retry would mail the first recipients twice
      return { ok: false, retry: sent.length === 0 && TEMPORARY.test(why), error: `send_email to ${to}: ${clip(why)}${partly}` };
    }
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------

/**
 * Sends one mail. Never throws. With the Worker's `env` as the third argument the settings are checked
 * here again (ALLOW_PRIVATE_WEBHOOK_URLS, the EMAIL binding), so a refused host is refused at send time
 * too. `timeoutMs` bounds the whole SMTP conversation (default MAIL_TIMEOUT_MS).
 */
export async function sendMail(
  settings: MailSettings,
  mail: OutgoingMail,
  env: { EMAIL?: unknown; ALLOW_PRIVATE_WEBHOOK_URLS?: string },
  opts: { timeoutMs?: number } = {},
): Promise<MailResult> {
  try {
    const refused = checkMailSettings(settings, { allowPrivate: allowPrivateUrls(env), hasBinding: isBinding(env.EMAIL) });
    if (refused) return { ok: false, retry: false, error: refused };
    if (!isAddress(settings.from)) return { ok: false, retry: false, error: `from: ${JSON.stringify(settings.from)} is not a plain email address` };
    const recipients = [...new Set(mail.to.map((a) => a.trim()))];
    if (recipients.length === 0) return { ok: false, retry: false, error: 'to: no recipient' };
    if (recipients.length > MAX_RECIPIENTS) return { ok: false, retry: false, error: `to: at most ${MAX_RECIPIENTS} recipients` };
    const bad = recipients.find((a) => !isAddress(a));
    if (bad !== undefined) return { ok: false, retry: false, error: `to: ${JSON.stringify(bad)} is not a plain email address` };
    const id = MESSAGE_ID.exec(mail.messageId.trim())?.[1];
    if (!id) return { ok: false, retry: false, error: `messageId: ${JSON.stringify(mail.messageId)} is not a Message-ID (<left@right>)` };

    const data = await buildMessage(settings, mail, recipients, `<${id}>`);
    if (settings.transport === 'cloudflare') return await sendCloudflare(env.EMAIL as SendEmailBinding, settings, recipients, unstuffed(data));
    return await sendSmtp(settings, recipients, data, opts.timeoutMs ?? MAIL_TIMEOUT_MS);
  } catch (err) {
    return { ok: false, retry: true, error: `mail not sent: ${err instanceof Error ? err.message : String(err)}` };
  }
}
