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

export const MAIL_SECURITY = ['tls', 'starttls', 'none'] as const;
export type MailSecurity = (typeof MAIL_SECURITY)[number];
export const MAIL_TRANSPORTS = ['smtp', 'cloudflare'] as const;
export type MailTransport = (typeof MAIL_TRANSPORTS)[number];

/** The port each security mode means when none is given. */
export const DEFAULT_PORTS: Record<MailSecurity, number> = { tls: 465, starttls: 587, none: 25 };

/** The whole send, from connecting to the server's last answer (a hung server cannot hold the caller longer). */
export const MAIL_TIMEOUT_MS = 20_000;
const QUIT_WAIT_MS = 2_000;
const MAX_SUBJECT = 300;
const MAX_RECIPIENTS = 50;

const hasControl = (s: string) => /\p{Cc}/u.test(s);
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

export function resolveMailSettings(input: MailSettingsInput): MailSettings {
  return { ...input, port: input.port ?? DEFAULT_PORTS[input.security] };
}

/** Why these settings may not be used here, or null when they may. Run it when saving and before sending. */
export function checkMailSettings(
  s: { transport: MailTransport; host?: string; security?: MailSecurity },
  opts: { allowPrivate: boolean; hasBinding: boolean },
): string | null {
  if (s.transport === 'cloudflare') return opts.hasBinding ? null : 'transport cloudflare: the Worker has no send_email binding named EMAIL';
  if (!s.host) return 'host: the SMTP server is required with transport smtp';
  const host = normalizeMailHost(s.host);
  if (!host) return `host: ${JSON.stringify(s.host)} is not a host name or IP address`;
  const guard = checkOutboundUrl(`https://${host}/`, { allowPrivate: opts.allowPrivate });
  if (!guard.ok) return `host: ${guard.reason}`;
  if ((s.security ?? 'tls') === 'none' && !opts.allowPrivate)
    return 'security none is refused: it would send your SMTP password and the mail in plain text over the internet; use tls (port 465) or starttls (port 587)';
  return null;
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

// ---------------------------------------------------------------------------------------------------
// Header safety: every value that reaches a header is checked or encoded here.

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const isAddress = (a: string) => a.length <= 254 && ADDRESS.test(a);
const MESSAGE_ID = /^<?([\x21-\x3b\x3d\x3f-\x7e]{1,200}@[\x21-\x3b\x3d\x3f-\x7e]{1,200})>?$/;

/** One line of text: control characters (CR and LF first of all) become spaces. Cut at `max` characters. */
function oneLine(text: string, max: number): string {
  return Array.from(text.replace(/\p{Cc}+/gu, ' '))
    .slice(0, max)
    .join('')
    .trim();
}

const utf8 = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** RFC 2047 `B` encoded-words of at most 75 characters, never splitting a character, folded onto lines. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (utf8.encode(chunk + ch).length > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${base64(utf8.encode(w))}?=`).join('\r\n ');
}

/** A header value from one line of text: as is when plain printable ASCII, else encoded-words. */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) && !text.includes('=?') ? text : encodedWords(text);
}

function mailbox(address: string, name?: string): string {
  const display = name ? oneLine(name, 100) : '';
  if (!display) return address;
  if (/^[\x20-\x7e]*$/.test(display) && !display.includes('=?')) return `"${display.replace(/["\\]/g, '\\$&')}" <${address}>`;
  return `${encodedWords(display)} <${address}>`;
}

const safeFilename = (name: string) => oneLine(name, 100).replace(/[^A-Za-z0-9._ -]/g, '_') || 'attachment';
const safeMimeType = (type: string) => (/^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/.test(type) ? type : 'application/octet-stream');

class MailError extends Error {
  readonly retry: boolean;
  constructor(message: string, retry: boolean) {
    super(message);
    this.retry = retry;
  }
}

/** The message as DATA carries it (dot-stuffed, ending in CRLF.CRLF), built by worker-mailer's Email. */
async function buildMessage(settings: MailSettings, mail: OutgoingMail, recipients: string[], messageId: string): Promise<string> {
  const { Email } = await import('worker-mailer');
  const headers: Record<string, string> = {
    From: mailbox(settings.from, settings.fromName),
    To: recipients.join(',\r\n '),
    Subject: headerText(oneLine(mail.subject, MAX_SUBJECT)),
    'Message-ID': messageId,
  };
  return new Email({
    from: settings.from,
    to: recipients,
    subject: '',
    text: mail.text || ' ', // Email wants a body
    headers,
    attachments: mail.attachments?.map((a) => ({
      filename: safeFilename(a.filename),
      mimeType: safeMimeType(a.mimeType),
      content: base64(utf8.encode(a.content)),
    })),
  }).getEmailData();
}

/** The same message as a plain RFC 5322 text (the `send_email` binding takes it without SMTP's dot-stuffing). */
function unstuffed(data: string): string {
  return data
    .replace(/\r\n\.\r\n$/, '\r\n')
    .replace(/\r\n\.\./g, '\r\n.')
    .replace(/^\.\./, '.');
}

// ---------------------------------------------------------------------------------------------------
// SMTP

interface Reply {
  code: number;
  lines: string[];
}

const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…` : s);
const describe = (r: Reply) => clip(`${r.code} ${r.lines.join(' ').trim()}`);

/** 4xx is temporary; 5xx is permanent; anything else was not SMTP as expected (try again later). */
const failure = (what: string, r: Reply) => new MailError(`${what}: ${describe(r)}`, !(r.code >= 500 && r.code < 600));

class SmtpSession {
  socket: Socket;
  /** what the session is waiting for, for the timeout's message */
  step = 'connecting';
  /** the whole message went out and its answer has not come: it may have been delivered */
  inDoubt = false;
  private reader!: ReadableStreamDefaultReader<Uint8Array>;
  private writer!: WritableStreamDefaultWriter<Uint8Array>;
  private buffer = '';
  private decoder = new TextDecoder();

  constructor(socket: Socket) {
    this.socket = socket;
    this.attach();
  }

  private attach() {
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    this.decoder = new TextDecoder();
  }

  async reply(step: string): Promise<Reply> {
    this.step = `waiting for the answer to ${step}`;
    const lines: string[] = [];
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        const m = /^([2-5]\d\d)([ -]?)(.*)$/.exec(line);
        if (!m) throw new MailError(`${step}: the server's answer is not SMTP: ${clip(JSON.stringify(line))}`, true);
        lines.push(m[3] ?? '');
        if (m[2] !== '-') return { code: Number(m[1]), lines };
        if (lines.length > 200) throw new MailError(`${step}: the server's answer does not end`, true);
        continue;
      }
      if (this.buffer.length > 16_384) throw new MailError(`${step}: the server's answer line is too long`, true);
      const { value, done } = await this.reader.read();
      if (done) throw new MailError(`${step}: the server closed the connection`, true);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  async command(line: string, step = line): Promise<Reply> {
    this.step = `sending ${step}`;
    await this.writer.write(utf8.encode(`${line}\r\n`));
    return this.reply(step);
  }

  /** Upgrades the connection (after the server's 220 to STARTTLS). */
  upgrade() {
    if (this.buffer) throw new MailError('STARTTLS: the server sent data before the TLS handshake', false);
    this.reader.releaseLock();
    this.writer.releaseLock();
    this.socket = this.socket.startTls();
    this.attach();
  }

  async write(data: string) {
    this.step = 'sending the message';
    await this.writer.write(utf8.encode(data));
  }
}

/** EHLO's extension lines as upper-case keyword → parameters. */
function extensions(r: Reply): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of r.lines.slice(1)) {
    const [kw = '', ...params] = line
      .trim()
      .toUpperCase()
      .split(/[\s=]+/);
    if (kw) map.set(kw, [...(map.get(kw) ?? []), ...params]);
  }
  return map;
}

async function hello(s: SmtpSession): Promise<Map<string, string[]>> {
  const ehlo = await s.command('EHLO [127.0.0.1]', 'EHLO');
  if (ehlo.code === 250) return extensions(ehlo);
  if (ehlo.code >= 500 && ehlo.code !== 554) {
    const helo = await s.command('HELO [127.0.0.1]', 'HELO');
    if (helo.code === 250) return new Map();
    throw failure('HELO', helo);
  }
  throw failure('EHLO', ehlo);
}

const b64text = (s: string) => base64(utf8.encode(s));

async function authenticate(s: SmtpSession, ext: Map<string, string[]>, username: string, password: string) {
  const offered = ext.get('AUTH') ?? [];
  if (offered.includes('PLAIN')) {
    const r = await s.command(`AUTH PLAIN ${b64text(`\0${username}\0${password}`)}`, 'AUTH PLAIN');
    if (r.code !== 235) throw failure('authentication failed', r);
    return;
  }
  if (offered.includes('LOGIN')) {
    let r = await s.command('AUTH LOGIN');
    if (r.code !== 334) throw failure('authentication failed', r);
    r = await s.command(b64text(username), 'AUTH LOGIN (user name)');
    if (r.code !== 334) throw failure('authentication failed', r);
    r = await s.command(b64text(password), 'AUTH LOGIN (password)');
    if (r.code !== 235) throw failure('authentication failed', r);
    return;
  }
  const what = offered.length ? `only ${offered.join(', ')}` : 'no AUTH';
  throw new MailError(`authentication: the server offers ${what}; PLAIN or LOGIN is needed`, false);
}

async function smtpConversation(s: SmtpSession, settings: MailSettings, recipients: string[], data: string) {
  s.step = 'connecting';
  await s.socket.opened.catch((err: unknown) => {
    throw new MailError(`could not connect to ${settings.host}:${settings.port} (${err instanceof Error ? err.message : String(err)})`, true);
  });
  const greeting = await s.reply('the greeting');
  if (greeting.code !== 220) throw failure('the server refused the connection', greeting);
  let ext = await hello(s);
  if (settings.security === 'starttls') {
    if (!ext.has('STARTTLS')) throw new MailError('security starttls: the server does not offer STARTTLS', false);
    const r = await s.command('STARTTLS');
    if (r.code !== 220) throw failure('STARTTLS', r);
    s.upgrade();
    ext = await hello(s);
  }
  if (settings.username) await authenticate(s, ext, settings.username, settings.password ?? '');
  const from = await s.command(`MAIL FROM:<${settings.from}>`);
  if (from.code !== 250) throw failure(`MAIL FROM:<${settings.from}>`, from);
  // every recipient must be accepted before DATA: a retry must not mail those who already got it
  for (const to of recipients) {
    const r = await s.command(`RCPT TO:<${to}>`);
    if (r.code !== 250 && r.code !== 251) throw failure(`recipient <${to}> refused`, r);
  }
  const go = await s.command('DATA');
  if (go.code !== 354) throw failure('DATA', go);
  await s.write(data);
  s.inDoubt = true;
  const done = await s.reply('the message');
  s.inDoubt = false;
  if (done.code !== 250) throw failure('the server did not accept the message', done);
}

async function sendSmtp(settings: MailSettings, recipients: string[], data: string, timeoutMs: number): Promise<MailResult> {
  const { connect } = await import('cloudflare:sockets');
  const host = normalizeMailHost(settings.host ?? '') ?? '';
  let session: SmtpSession;
  try {
    const secureTransport = settings.security === 'tls' ? 'on' : settings.security === 'starttls' ? 'starttls' : 'off';
    session = new SmtpSession(connect({ hostname: host, port: settings.port }, { secureTransport, allowHalfOpen: false }));
  } catch (err) {
    // refused before any connection: an address the runtime will never connect to
    return { ok: false, retry: false, error: `cannot connect to ${host}:${settings.port}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const original = session.socket;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const conversation = smtpConversation(session, settings, recipients, data);
  conversation.catch(() => {}); // after a timeout it fails as the socket closes; nobody awaits it then
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MailError(`timed out after ${timeoutMs / 1000} s ${session.step}`, true)), timeoutMs);
  });
  try {
    await Promise.race([conversation, deadline]);
    // the mail is accepted; a polite QUIT, briefly
    clearTimeout(timer);
    const quit = session.command('QUIT');
    quit.catch(() => {});
    await Promise.race([quit, new Promise((r) => (timer = setTimeout(r, QUIT_WAIT_MS)))]);
    return { ok: true };
  } catch (err) {
    const why = err instanceof MailError ? err.message : `SMTP ${host}:${settings.port}: ${err instanceof Error ? err.message : String(err)}`;
    // no answer after the whole message went out: it may have been delivered, and a mail cannot be taken back
    if (session.inDoubt) return { ok: false, retry: false, error: `${why}; the whole message had been sent, so it may have arrived: not retried` };
    return { ok: false, retry: err instanceof MailError ? err.retry : true, error: why };
  } finally {
    clearTimeout(timer);
    for (const socket of new Set([session.socket, original])) socket.close().catch(() => {});
  }
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
      await binding.send(new EmailMessage(settings.from, to, raw));
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
