// The words the email action's pieces share (settings as the sender uses them, a mail, its result): one
// place both the sender (`mail.ts`) and its parts (`smtp.ts`, `mail-message.ts`) import from.

export const MAIL_SECURITY = ['tls', 'starttls', 'none'] as const;
export type MailSecurity = (typeof MAIL_SECURITY)[number];
export const MAIL_TRANSPORTS = ['smtp', 'cloudflare'] as const;
export type MailTransport = (typeof MAIL_TRANSPORTS)[number];

/** The port each security mode means when none is given. */
export const DEFAULT_PORTS: Record<MailSecurity, number> = { tls: 465, starttls: 587, none: 25 };

/** The whole send, from connecting to the server's last answer (a hung server cannot hold the caller longer). */
export const MAIL_TIMEOUT_MS = 20_000;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * A host as the URL parser writes it (lower case, IPv4 spellings folded to dotted quads, IPv6 in
 * brackets), or undefined when it is neither a host name nor an IP address. This one form is both
 * what the guard checks and what the socket connects to.
 */
export function normalizeMailHost(raw: string): string | undefined {
  const host = raw.trim();
  if (!host || host.length > 253) return undefined;
  const v6 = host.includes(':');
  if (!v6 && !HOSTNAME.test(host)) return undefined;
  try {
    return new URL(`https://${v6 ? `[${host.replace(/^\[|\]$/g, '')}]` : host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Mail settings as the sender uses them: secrets unsealed, the port resolved. */
export interface MailSettings {
  transport: MailTransport;
  /** required with `smtp` */
  host?: string;
  port: number;
  security: MailSecurity;
  username?: string;
  password?: string;
  from: string;
  fromName?: string;
}

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  /** `content` is text (e.g. JSON); it is sent base64-encoded as UTF-8 */
  attachments?: { filename: string; content: string; mimeType: string }[];
  /** a stable id derived by the caller, sent as the Message-ID header, e.g. `<run-id.step@switchboard>` */
  messageId: string;
}

export type MailResult = { ok: true } | { ok: false; retry: boolean; error: string };
