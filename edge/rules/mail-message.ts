// The message an email action sends: headers made safe (CR/LF and control characters never reach a
// header; non-ASCII text as RFC 2047 encoded-words), the MIME body built by worker-mailer's `Email`.
import type { MailSettings, OutgoingMail } from './mail-types.ts';

/** A subject longer than this is cut. */
export const MAX_SUBJECT = 300;

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
export const isAddress = (a: string) => a.length <= 254 && ADDRESS.test(a);
export const MESSAGE_ID = /^<?([\x21-\x3b\x3d\x3f-\x7e]{1,200}@[\x21-\x3b\x3d\x3f-\x7e]{1,200})>?$/;

/** One line of text: control characters (CR and LF first of all) become spaces. Cut at `max` characters. */
function oneLine(text: string, max: number): string {
  return Array.from(text.replace(/\p{Cc}+/gu, ' '))
    .slice(0, max)
    .join('')
    .trim();
}

export const utf8 = new TextEncoder();

export function base64(bytes: Uint8Array): string {
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

export class MailError extends Error {
  readonly retry: boolean;
  constructor(message: string, retry: boolean) {
    super(message);
    this.retry = retry;
  }
}

/** The message as DATA carries it (dot-stuffed, ending in CRLF.CRLF), built by worker-mailer's Email. */
export async function buildMessage(settings: MailSettings, mail: OutgoingMail, recipients: string[], messageId: string): Promise<string> {
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
export function unstuffed(data: string): string {
  return data
    .replace(/\r\n\.\r\n$/, '\r\n')
    .replace(/\r\n\.\./g, '\r\n.')
    .replace(/^\.\./, '.');
}

/** A text cut to `n` characters for an error message. */
export const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…` : s);
