// The email action's transport inside workerd: real SMTP over a `cloudflare:sockets` TCP connection to a
// real local smtp-server (test/support/smtp-setup.ts), each message parsed there with mailparser.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { ReceivedMail } from '../../test/support/smtp-server.ts';
import { checkMailSettings, MailSettingsInputSchema, type MailSettings, type OutgoingMail, resolveMailSettings, sendMail } from './mail.ts';

const control = inject('smtpControlUrl');

const local = (over: Partial<MailSettings> = {}): MailSettings => ({
  transport: 'smtp',
  host: '127.0.0.1',
  port: inject('smtpPort'),
  security: 'none',
  from: 'rules@switchboard.test',
  fromName: 'Switchboard',
  ...over,
});

const rcpt = () => `to-${crypto.randomUUID().slice(0, 8)}@example.com`;

const mail = (to: string, over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: [to],
  subject: 'SMS from +15550100',
  text: 'hello',
  messageId: `<run-${crypto.randomUUID()}.0@switchboard>`,
  ...over,
});

async function received(to: string, count = 1, timeoutMs = 5_000): Promise<ReceivedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = (await (await fetch(`${control}/messages?to=${encodeURIComponent(to)}`)).json()) as ReceivedMail[];
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function failNext(rule: { count: number; code?: number; to?: string }) {
  const res = await fetch(`${control}/fail-next`, { method: 'POST', body: JSON.stringify(rule) });
  expect(res.status).toBe(204);
}

const ports = async () => (await (await fetch(`${control}/ports`)).json()) as { silent: number; hangup: number };

describe('sendMail over SMTP', () => {
  it('delivers subject, UTF-8 body, the event.json attachment and the Message-ID', async () => {
    const to = rcpt();
    const event = { event: 'sms_received', data: { from: '+972501234567', message: 'שלום עולם 👋🏽 — ok' } };
    const text = ['New SMS from +972501234567:', 'שלום עולם 👋🏽 — ok', '.a line that starts with a dot', '.', `long ${'x'.repeat(300)} end`].join('\n');
    const messageId = `<run-${crypto.randomUUID()}.2@switchboard>`;
    const result = await sendMail(
      local({ fromName: 'Switchboard כללים' }),
      mail(to, {
        subject: 'SMS: שלום עולם 👋🏽',
        text,
        messageId,
        attachments: [{ filename: 'event.json', content: JSON.stringify(event, null, 2), mimeType: 'application/json' }],
      }),
      env,
    );
    expect(result).toEqual({ ok: true });
    const [m] = await received(to);
    expect(m).toBeDefined();
    expect(m!.subject).toBe('SMS: שלום עולם 👋🏽');
    expect(m!.text.replace(/\n$/, '')).toBe(text);
    expect(m!.messageId).toBe(messageId);
    expect(m!.from).toBe('rules@switchboard.test');
    expect(m!.fromName).toBe('Switchboard כללים');
    expect(m!.headerLines.find((h) => h.key === 'from')?.line).toContain('<rules@switchboard.test>');
    expect(m!.to).toEqual([to]);
    expect(m!.envelope).toEqual({ from: 'rules@switchboard.test', to: [to] });
    expect(m!.attachments).toHaveLength(1);
    expect(m!.attachments[0]).toMatchObject({ filename: 'event.json', contentType: 'application/json' });
    expect(JSON.parse(m!.attachments[0]!.content)).toEqual(event);
  });

  it('keeps a subject carrying CR/LF on one header line: no injected Bcc', async () => {
    const to = rcpt();
    const result = await sendMail(local(), mail(to, { subject: 'Alert\r\nBcc: x@evil.test\r\n\r\nbody?' }), env);
    expect(result).toEqual({ ok: true });
    const [m] = await received(to);
    expect(m!.subject).toBe('Alert Bcc: x@evil.test body?');
    expect(m!.headerLines.filter((h) => h.key === 'subject')).toHaveLength(1);
    expect(m!.headerLines.some((h) => h.key === 'bcc')).toBe(false);
    expect(m!.envelope.to).toEqual([to]);
    expect(m!.text.trim()).toBe('hello');
  });

  it('cuts the subject at 300 characters and folds a long non-ASCII one into encoded words', async () => {
    const to = rcpt();
    const long = 'ש👋'.repeat(200); // 400 code points, 2400 bytes of UTF-8
    expect(await sendMail(local(), mail(to, { subject: long }), env)).toEqual({ ok: true });
    const [m] = await received(to);
    expect(m!.subject).toBe(Array.from(long).slice(0, 300).join(''));
    expect(
      m!.headerLines
        .find((h) => h.key === 'subject')!
        .line.split('\r\n')
        .every((l) => l.length <= 998),
    ).toBe(true);
  });

  it('sends to several recipients in one transaction and authenticates when given a user', async () => {
    const [a, b] = [rcpt(), rcpt()];
    const result = await sendMail(local({ username: 'smtp-user', password: 'p@ss wörd' }), mail(a, { to: [a, b] }), env);
    expect(result).toEqual({ ok: true });
    const [m] = await received(a);
    expect(m!.envelope.to).toEqual([a, b]);
    expect(m!.to).toEqual([a, b]);
    expect(m!.user).toBe('smtp-user');
  });

  it('answers {ok:false, retry:true} to a 451, and the next try gets through', async () => {
    const to = rcpt();
    await failNext({ count: 1, to });
    const first = await sendMail(local(), mail(to), env);
    expect(first).toMatchObject({ ok: false, retry: true });
    expect(!first.ok && first.error).toMatch(/451/);
    expect(await sendMail(local(), mail(to), env)).toEqual({ ok: true });
    expect(await received(to)).toHaveLength(1);
  });

  it('answers retry:false to a permanent 5xx refusal', async () => {
    const to = rcpt();
    await failNext({ count: 1, to, code: 554 });
    const result = await sendMail(local(), mail(to), env);
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(!result.ok && result.error).toMatch(/554/);
  });

  it('answers retry:true with a clear error when nothing listens on the port', async () => {
    const result = await sendMail(local({ port: 1 }), mail(rcpt()), env);
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(!result.ok && result.error).toMatch(/^could not connect to 127\.0\.0\.1:1 /);
  });

  it('gives up on a server that never answers at the deadline', async () => {
    const started = Date.now();
    const result = await sendMail(local({ port: (await ports()).silent }), mail(rcpt()), env, { timeoutMs: 500 });
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(!result.ok && result.error).toMatch(/^timed out after 0.5 s waiting for the answer to the greeting$/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails promptly when the server hangs up mid-conversation', async () => {
    const started = Date.now();
    const result = await sendMail(local({ port: (await ports()).hangup }), mail(rcpt()), env);
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(!result.ok && result.error).toMatch(/EHLO: the server closed the connection/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses starttls when the server does not offer it (permanent)', async () => {
    const result = await sendMail(local({ security: 'starttls' }), mail(rcpt()), env);
    expect(result).toEqual({ ok: false, retry: false, error: 'security starttls: the server does not offer STARTTLS' });
  });

  it('refuses bad recipients and Message-IDs before connecting', async () => {
    expect(await sendMail(local(), mail('a@b.test\r\nRCPT TO:<x@evil.test>'), env)).toMatchObject({ ok: false, retry: false });
    expect(await sendMail(local(), mail(rcpt(), { to: [] }), env)).toMatchObject({ ok: false, retry: false, error: 'to: no recipient' });
    expect(await sendMail(local(), mail(rcpt(), { messageId: 'x>\r\nBcc: y@evil.test' }), env)).toMatchObject({ ok: false, retry: false });
  });

  it('works from inside a Durable Object', async () => {
    const to = rcpt();
    const stub = env.RATE_LIMITER.getByName(`mail-${to}`);
    const result = await runInDurableObject(stub, () => sendMail(local(), mail(to), env));
    expect(result).toEqual({ ok: true });
    expect(await received(to)).toHaveLength(1);
  });

  it('refuses a loopback host when private targets are not allowed (env without ALLOW_PRIVATE_WEBHOOK_URLS)', async () => {
    const result = await sendMail(local({ security: 'tls' }), mail(rcpt()), {});
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(!result.ok && result.error).toMatch(/host 127\.0\.0\.1 is not public \(loopback\)/);
  });
});

describe('sendMail through the send_email binding', () => {
  it('sends the same raw message once per recipient', async () => {
    const calls: { from: string; to: string; raw: unknown }[] = [];
    const EMAIL = {
      async send(m: { from: string; to: string }) {
        // Miniflare's EmailMessage keeps the raw message under this key (a local detail, read here only)
        calls.push({ from: m.from, to: m.to, raw: (m as unknown as Record<string, unknown>)['EmailMessage::raw'] });
        return { messageId: '<x@cloudflare>' };
      },
    };
    const settings = local({ transport: 'cloudflare', host: undefined });
    const messageId = '<run-1.3@switchboard>';
    const text = 'first\n.a dotted line\n.';
    const result = await sendMail(settings, mail('a@example.com', { to: ['a@example.com', 'b@example.com'], text, messageId }), { EMAIL });
    expect(result).toEqual({ ok: true });
    expect(calls.map(({ from, to }) => ({ from, to }))).toEqual([
      { from: 'rules@switchboard.test', to: 'a@example.com' },
      { from: 'rules@switchboard.test', to: 'b@example.com' },
    ]);
    const raw = calls[0]!.raw;
    expect(raw).toBe(calls[1]!.raw);
    if (typeof raw === 'string') {
      // plain RFC 5322: no SMTP dot-stuffing, no end-of-data dot
      expect(raw).toMatch(/^MIME-Version: 1\.0\r\n/);
      expect(raw).toContain(`\r\nMessage-ID: ${messageId}\r\n`);
      expect(raw).toContain('\r\nFrom: "Switchboard" <rules@switchboard.test>\r\n');
      expect(raw).toContain('\r\nTo: a@example.com,\r\n b@example.com\r\n');
      expect(raw).toContain('\r\n.a dotted line\r\n.\r\n');
      expect(raw).not.toContain('\r\n..');
      expect(raw.endsWith('\r\n.\r\n')).toBe(false);
    }
  });

  it('goes through Miniflare’s own send_email binding (its checks of the message pass)', async () => {
    const EMAIL = (env as unknown as { EMAIL?: unknown }).EMAIL;
    expect(EMAIL).toBeDefined();
    const result = await sendMail(local({ transport: 'cloudflare', host: undefined }), mail('owner@example.com', { messageId: '<run-2.0@switchboard>' }), {
      EMAIL,
    });
    expect(result).toEqual({ ok: true });
  });

  it('does not retry after a partial send', async () => {
    let n = 0;
    const EMAIL = {
      async send() {
        if (n++ === 1) throw new Error('service temporarily unavailable');
      },
    };
    const result = await sendMail(local({ transport: 'cloudflare' }), mail('a@example.com', { to: ['a@example.com', 'b@example.com'] }), { EMAIL });
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(!result.ok && result.error).toMatch(/already sent to a@example\.com/);
  });

  it('is refused without the binding', async () => {
    const result = await sendMail(local({ transport: 'cloudflare' }), mail('a@example.com'), {});
    expect(result).toEqual({ ok: false, retry: false, error: 'transport cloudflare: the Worker has no send_email binding named EMAIL' });
  });
});

describe('checkMailSettings', () => {
  const strict = { allowPrivate: false, hasBinding: false };

  it('refuses loopback, private and local hosts unless private targets are allowed', () => {
    for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '169.254.169.254', '[::1]', '::1', '2130706433'])
      expect(checkMailSettings({ transport: 'smtp', host, security: 'tls' }, strict), host).toMatch(/^host: host .* is not public/);
    expect(checkMailSettings({ transport: 'smtp', host: '127.0.0.1', security: 'tls' }, { ...strict, allowPrivate: true })).toBeNull();
    expect(checkMailSettings({ transport: 'smtp', host: 'smtp.example.com', security: 'tls' }, strict)).toBeNull();
  });

  it('refuses security none unless private targets are allowed: plaintext credentials over the internet', () => {
    expect(checkMailSettings({ transport: 'smtp', host: 'smtp.example.com', security: 'none' }, strict)).toMatch(
      /^security none is refused: it would send your SMTP password and the mail in plain text over the internet/,
    );
    expect(checkMailSettings({ transport: 'smtp', host: 'smtp.example.com', security: 'none' }, { ...strict, allowPrivate: true })).toBeNull();
  });

  it('refuses the cloudflare transport without a send_email binding', () => {
    expect(checkMailSettings({ transport: 'cloudflare' }, strict)).toBe('transport cloudflare: the Worker has no send_email binding named EMAIL');
    expect(checkMailSettings({ transport: 'cloudflare' }, { ...strict, hasBinding: true })).toBeNull();
  });

  it('refuses what is not a host', () => {
    expect(checkMailSettings({ transport: 'smtp', host: 'smtp.example.com/x' }, strict)).toMatch(/is not a host name or IP address/);
    expect(checkMailSettings({ transport: 'smtp' }, strict)).toMatch(/^host: /);
  });
});

describe('MailSettingsInputSchema', () => {
  it('applies the defaults and resolves the port from the security', () => {
    const input = MailSettingsInputSchema.parse({ host: 'smtp.example.com', from: 'a@example.com' });
    expect(input).toMatchObject({ transport: 'smtp', security: 'tls' });
    expect(resolveMailSettings(input).port).toBe(465);
    expect(resolveMailSettings(MailSettingsInputSchema.parse({ host: 'smtp.example.com', security: 'starttls', from: 'a@example.com' })).port).toBe(587);
    expect(resolveMailSettings(MailSettingsInputSchema.parse({ host: 'h.example', security: 'none', port: 2525, from: 'a@example.com' })).port).toBe(2525);
  });

  it('requires the host with smtp, and refuses bad hosts, ports and header-breaking names', () => {
    expect(MailSettingsInputSchema.safeParse({ from: 'a@example.com' }).success).toBe(false);
    expect(MailSettingsInputSchema.safeParse({ transport: 'cloudflare', from: 'a@example.com' }).success).toBe(true);
    expect(MailSettingsInputSchema.safeParse({ host: 'smtp example.com', from: 'a@example.com' }).success).toBe(false);
    expect(MailSettingsInputSchema.safeParse({ host: 'smtp.example.com', port: 70000, from: 'a@example.com' }).success).toBe(false);
    expect(MailSettingsInputSchema.safeParse({ host: 'smtp.example.com', from: 'a@example.com', fromName: 'x\r\nBcc: y@evil.test' }).success).toBe(false);
    expect(MailSettingsInputSchema.safeParse({ host: 'smtp.example.com', from: 'not an address' }).success).toBe(false);
  });
});
