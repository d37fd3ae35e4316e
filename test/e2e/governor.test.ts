// The send governor end to end: the real Worker, the real bridge with the sandbox network limiting first
// messages to new contacts (SANDBOX_REACH_OUT_LIMIT, WhatsApp's 463), a local webhook receiver. A refused
// message waits while the number pauses, the owner is told why, and it goes under its id once the pause is over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningSystem, startSystem } from '../../scripts/system.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-gov-'));
let system: RunningSystem;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({
    port: await freePort(),
    stateDir,
    env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true', WA_TRANSPORT: 'sandbox', SANDBOX_REACH_OUT_LIMIT: '1' },
  });
});

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${system.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${system.logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const events = (name: string) =>
  receiver
    .box('gov')
    .received.map((r) => JSON.parse(r.body))
    .filter((e) => e.event === name);

describe('the send governor over the sandbox network', () => {
  it('a 463 from the network pauses the number and says why; the message goes under its id after the pause, once', async () => {
    expect((await api('/api/add-number', { body: { clientId: 'gov', phoneNumber: '12345678905' } })).status).toBe(200);
    await api('/api/update-webhook', { body: { clientId: 'gov', webhookUrl: `${receiver.url}/hook/gov` } });
    expect((await api('/api/sandbox/gov/scan', { method: 'POST' })).json.status).toBe('connected');
    // a short first pause, so the test sees it end (the real-number default is 15 min)
    expect((await api('/api/clients/gov/governor', { method: 'PUT', body: { pauseMs: 1000, maxPauseMs: 1000 } })).status).toBe(200);

    const first = await api('/api/send-message', { body: { clientId: 'gov', number: '15550001001', message: 'first new contact', wait: true } });
    expect(first.json.status).toBe('sent');
    // the network's limit is one new contact a day: this one is refused (463) and waits
    const second = await api('/api/send-message', { body: { clientId: 'gov', number: '15550001002', message: 'one too many' } });
    expect(second.json).toMatchObject({ success: true, status: 'queued' });
    const id = second.json.messageId;
    const paused = await until('the pause webhook', async () => events('client_status').find((e) => /463/.test(e.data.reason ?? '')));
    expect(paused.data.reason).toMatch(/^sending paused until .*463/);
    const waiting = (await api(`/api/messages/${id}`)).json;
    expect(waiting).toMatchObject({ status: 'queued', reason: expect.stringMatching(/^WHATSAPP_RATE_LIMIT: 463/) });

    // the contact writes first (no longer a reach-out): after the pause the same message goes, under its id
    expect((await api('/api/sandbox/gov/inbound', { body: { from: '15550001002', message: 'hi, it is me' } })).status).toBeLessThan(300);
    const sent = await until('the message sent after the pause', async () => {
      const m = (await api(`/api/messages/${id}`)).json;
      return m.status !== 'queued' && m.status !== 'sending' && m;
    });
    expect(sent).toMatchObject({ status: expect.stringMatching(/^(sent|delivered|read)$/) });
    const outbox = (await api('/api/sandbox/gov/outbox')).json as { to: string; body: string }[];
    expect(outbox.filter((m) => m.body === 'one too many')).toHaveLength(1);
    expect(events('message_sent').filter((e) => e.data.messageId === id)).toHaveLength(1);
    expect(events('message_failed')).toHaveLength(0);
  });
});
