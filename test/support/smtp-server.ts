// A real local SMTP server for tests: smtp-server on 127.0.0.1 (plaintext, no STARTTLS, AUTH optional and
// any credentials accepted), every message parsed with mailparser and kept. A small HTTP control server
// beside it lets tests running inside workerd read what arrived and script temporary failures:
//   GET  /messages[?to=<address>]          the received mails as JSON (ReceivedMail[]), oldest first
//   POST /fail-next {count, code?, message?, to?}
//                                           answer the next `count` messages (to `to` only, when given)
//                                           with `code` (default 451) at the end of DATA, keeping none of them
//   DELETE /messages                        forget every received mail and scripted failure
//   GET  /ports                             {silent, hangup}: two misbehaving TCP servers on 127.0.0.1, one
//                                           that accepts and never says a word, one that greets (220) and
//                                           hangs up on the first command
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedAttachment {
  filename: string;
  contentType: string;
  /** the attachment's bytes read as UTF-8 */
  content: string;
}

export interface ReceivedMail {
  /** the From header's address */
  from: string;
  /** the From header's display name (decoded) */
  fromName: string;
  /** the To header's addresses */
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  attachments: ReceivedAttachment[];
  /** the SMTP envelope (MAIL FROM, RCPT TO): who the server was actually asked to deliver to */
  envelope: { from: string; to: string[] };
  /** the raw header lines, unfolded as mailparser keeps them: [{key, line}] */
  headerLines: { key: string; line: string }[];
  /** the AUTH username, when the client authenticated */
  user?: string;
}

export interface FailRule {
  count: number;
  /** SMTP reply code, default 451 */
  code?: number;
  message?: string;
  /** only messages with this envelope recipient */
  to?: string;
}

export interface SmtpTestServer {
  /** the SMTP port on 127.0.0.1 */
  port: number;
  /** the HTTP control server's base URL (http://127.0.0.1:<port>) */
  controlUrl: string;
  /** a TCP port that accepts and never answers (timeouts) */
  silentPort: number;
  /** a TCP port that greets with 220 and closes the connection on the first command (hang-ups) */
  hangupPort: number;
  messages(to?: string): ReceivedMail[];
  /** answer the next `n` messages with a temporary failure (451 unless told) */
  failNext(n: number, opts?: Omit<FailRule, 'count'>): void;
  /** resolves once `count` messages (to `to`, when given) have arrived */
  waitFor(count: number, opts?: { to?: string; timeoutMs?: number }): Promise<ReceivedMail[]>;
  reset(): void;
  close(): Promise<void>;
}

const addressesOf = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? '')).filter(Boolean);

const readBody = (req: IncomingMessage) =>
  new Promise<string>((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
    req.on('error', rej);
  });

export async function startSmtpServer(opts: { smtpPort?: number; controlPort?: number } = {}): Promise<SmtpTestServer> {
  let received: ReceivedMail[] = [];
  let failures: FailRule[] = [];
  let waiters: (() => void)[] = [];
  const matches = (m: ReceivedMail, to?: string) => !to || m.envelope.to.includes(to.toLowerCase());

  const smtp = new SMTPServer({
    name: 'smtp.test',
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    socketTimeout: 30_000,
    closeTimeout: 1_000,
    onAuth(auth, _session, cb) {
      cb(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => cb(err));
      stream.on('end', () => {
        const rcpt = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const idx = failures.findIndex((f) => f.count > 0 && (!f.to || rcpt.includes(f.to.toLowerCase())));
        const rule = idx >= 0 ? failures[idx] : undefined;
        if (rule) {
          rule.count--;
          if (rule.count <= 0) failures.splice(idx, 1);
          const err = Object.assign(new Error(rule.message ?? 'Try again later (scripted temporary failure)'), { responseCode: rule.code ?? 451 });
          return cb(err);
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const mailFrom = session.envelope.mailFrom;
            received.push({
              from: addressesOf(parsed.from)[0] ?? '',
              fromName: parsed.from?.value[0]?.name ?? '',
              to: addressesOf(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              messageId: parsed.messageId ?? '',
              attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, content: a.content.toString('utf8') })),
              envelope: { from: mailFrom ? mailFrom.address : '', to: rcpt },
              headerLines: parsed.headerLines.map((h) => ({ key: h.key, line: h.line })),
              user: typeof session.user === 'string' ? session.user : undefined,
            });
            for (const w of waiters.splice(0)) w();
            cb(null);
          },
          (err: Error) => cb(err),
        );
      });
    },
  });
  smtp.on('error', () => {}); // a client's broken connection is not the server's failure
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(opts.smtpPort ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (smtp.server.address() as AddressInfo).port;

  const sockets = new Set<Socket>();
  const tcp = async (onConnection: (s: Socket) => void) => {
    const server: TcpServer = createTcpServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      onConnection(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return server;
  };
  const silent = await tcp(() => {});
  const hangup = await tcp((s) => {
    s.write('220 hangup.test ESMTP\r\n');
    s.once('data', () => s.end());
  });

  const api: SmtpTestServer = {
    port,
    controlUrl: '',
    silentPort: (silent.address() as AddressInfo).port,
    hangupPort: (hangup.address() as AddressInfo).port,
    messages: (to) => received.filter((m) => matches(m, to)),
    failNext(n, rule = {}) {
      failures.push({ ...rule, count: n });
    },
    async waitFor(count, { to, timeoutMs = 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = api.messages(to);
        if (got.length >= count) return got;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`smtp test server: ${got.length} of ${count} messages arrived${to ? ` for ${to}` : ''}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    reset() {
      received = [];
      failures = [];
      for (const w of waiters.splice(0)) w();
      waiters = [];
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => smtp.close(() => r())),
        new Promise<void>((r) => silent.close(() => r())),
        new Promise<void>((r) => hangup.close(() => r())),
        new Promise<void>((r) => {
          control.closeAllConnections();
          control.close(() => r());
        }),
      ]);
    },
  };

  const control: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const body = await readBody(req);
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (url.pathname === '/messages' && req.method === 'GET') return json(200, api.messages(url.searchParams.get('to') ?? undefined));
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      api.reset();
      return res.writeHead(204).end();
    }
    if (url.pathname === '/fail-next' && req.method === 'POST') {
      const rule = JSON.parse(body || '{}') as Partial<FailRule>;
      if (typeof rule.count !== 'number' || rule.count < 1) return json(400, { error: 'count: a positive number' });
      api.failNext(rule.count, { code: rule.code, message: rule.message, to: rule.to });
      return res.writeHead(204).end();
    }
    if (url.pathname === '/ports' && req.method === 'GET') return json(200, { silent: api.silentPort, hangup: api.hangupPort });
    res.writeHead(404).end();
  });
  control.keepAliveTimeout = 1000;
  await new Promise<void>((r) => control.listen(opts.controlPort ?? 0, '127.0.0.1', r));
  api.controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  return api;
}
