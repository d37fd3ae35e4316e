// The SMTP conversation of one email, on a TCP socket from the Worker (`cloudflare:sockets`): greeting,
// EHLO, STARTTLS when asked, AUTH only with a username, every RCPT accepted before DATA (a retry never
// mails anyone twice), one overall deadline, the socket closed on every path. Our own client: worker-
// mailer's spins forever when a server hangs up mid-reply.
import { base64, clip, MailError, utf8 } from './mail-message.ts';
import { type MailResult, type MailSettings, normalizeMailHost } from './mail-types.ts';

const QUIT_WAIT_MS = 2_000;

interface Reply {
  code: number;
  lines: string[];
}

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
        // not echoed: a port that is not a mail server must not become a way to read other services' banners
        if (!m) throw new MailError(`${step}: the server's answer is not SMTP (is this the mail server's port?)`, true);
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
  // in doubt from the first byte of the message on: a write that fails part-way may still have delivered it
  s.inDoubt = true;
  await s.write(data);
  const done = await s.reply('the message');
  s.inDoubt = false;
  if (done.code !== 250) throw failure('the server did not accept the message', done);
}

export async function sendSmtp(settings: MailSettings, recipients: string[], data: string, timeoutMs: number): Promise<MailResult> {
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
