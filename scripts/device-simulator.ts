// A reference Android companion device without a phone: try the whole SMS/USSD loop, and read the
// device protocol in one place (the tests drive it too). What a real phone app does, in order:
//   1. POST /gateway/android/sims {sims: [{slot, carrier?, number?, dailyQuota?}]}   its SIMs
//   2. GET  /gateway/android/outbox?wait=20                                         long-poll for work:
//        {messages: [{id, type: 'message'|'ussd', channel, to, sim, message, leaseUntil, leaseMs}]}
//   3. for each item, only within leaseMs of receiving it (after that it may go to another device):
//        message: send it, POST /gateway/android/outbox/{id} {status: 'sent'}, later {status: 'delivered'}
//                 (or {status: 'failed', error})
//        ussd:    dial `to`, POST /gateway/android/outbox/{id} {status: 'sent', response: '<the answer>'}
//      a 409 WORK_MOVED answer: the work went to another device while this one was silent; drop it
//   4. poll again at once; back off on network errors. Every call sends `x-device-secret: sbd_…`.
// Run it (after `POST /api/devices {"name": "sim"}` with an API key gave you the secret); Ctrl-C stops it:
//   SWITCHBOARD_URL=http://127.0.0.1:8787 DEVICE_SECRET=sbd_… SIMS=1:Partner:100,2:Cellcom node scripts/device-simulator.ts
// SIMS is slot:carrier:dailyQuota, comma-separated (carrier and quota optional; default one SIM in slot 1).
import { setTimeout as sleep } from 'node:timers/promises';

export interface Sim {
  slot: number;
  carrier?: string;
  number?: string;
  dailyQuota?: number | null;
}

export interface OutboxItem {
  id: number;
  type: 'message' | 'ussd';
  channel: 'sms' | 'whatsapp';
  to: string;
  sim: number | null;
  message: string;
  /** epoch ms (the server's clock): never act on the item after this */
  leaseUntil: number;
  /** the same lease as milliseconds left when it was answered: a phone counts from receipt (its own clock may be off) */
  leaseMs: number;
}

/** `expired`: its lease ran out first (not acted on); `moved`: WORK_MOVED (dropped); `unreported`: the server refused the report */
export type Outcome = 'sent' | 'failed' | 'answered' | 'expired' | 'moved' | 'unreported';

export interface SimulatorOptions {
  url: string;
  secret: string;
  sims?: Sim[];
  log?: (line: string) => void;
  /** the network's answer to a USSD code */
  ussdAnswer?: (code: string) => string;
  /** an error text makes the send fail (reported `failed`) */
  fail?: (item: OutboxItem) => string | undefined;
  /** how long the radio takes to send a message before it is reported sent (default 100) */
  sendMs?: number;
  /** when the delivery report arrives after the send (default 200) */
  deliverAfterMs?: number;
  /** long-poll seconds (default 20, at most 30) */
  wait?: number;
}

export interface DeviceSimulator {
  /** resolves once the SIMs are reported (the device is then healthy and can be routed to) */
  ready: Promise<void>;
  /** messages that went out over the "air", in order */
  sent: OutboxItem[];
  /** every item taken from the outbox and what became of it */
  handled: { item: OutboxItem; outcome: Outcome }[];
  /** ends the loop at once (the long-poll in flight is aborted); pending delivery reports are dropped */
  stop(): Promise<void>;
}

class HttpError extends Error {
  status: number;
  code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function startDeviceSimulator(opts: SimulatorOptions): DeviceSimulator {
  const log = opts.log ?? (() => {});
  const ussdAnswer = opts.ussdAnswer ?? (() => 'Balance: 12.50');
  const sendMs = opts.sendMs ?? 100;
  const deliverAfterMs = opts.deliverAfterMs ?? 200;
  const wait = opts.wait ?? 20;
  const stopping = new AbortController();
  const { signal } = stopping;
  const sent: OutboxItem[] = [];
  const handled: DeviceSimulator['handled'] = [];
  const later = new Set<Promise<unknown>>();

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${opts.url.replace(/\/$/, '')}${path}`, {
      method,
      headers: { 'x-device-secret': opts.secret, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    const json = (await res.json().catch(() => ({}))) as T & { code?: string; error?: string };
    if (!res.ok) throw new HttpError(res.status, json.code, `${method} ${path}: ${res.status} ${json.code ?? ''} ${json.error ?? ''}`.trim());
    return json;
  }

  /** Retries what the network or a busy server refused (not what the server rejected for good). */
  async function retrying<T>(what: () => Promise<T>): Promise<T> {
    for (let backoffMs = 500; ; backoffMs = Math.min(backoffMs * 2, 30_000)) {
      try {
        return await what();
      } catch (err) {
        const final = err instanceof HttpError && err.status < 500 && err.status !== 429;
        if (final || signal.aborted) throw err;
        log(`${(err as Error).message}; again in ${backoffMs} ms`);
        await sleep(backoffMs, undefined, { signal });
      }
    }
  }

  /** Reports on an item; false when the work moved to another device (drop it). */
  async function report(item: OutboxItem, body: { status: 'sent' | 'delivered' | 'failed'; error?: string; response?: string }): Promise<boolean> {
    try {
      await retrying(() => call('POST', `/gateway/android/outbox/${item.id}`, body));
      return true;
    } catch (err) {
      if (err instanceof HttpError && err.code === 'WORK_MOVED') return false;
      throw err;
    }
  }

  async function handle(item: OutboxItem): Promise<Outcome> {
    if (Date.now() >= item.leaseUntil) return 'expired'; // it is offered again, maybe to another device
    if (item.type === 'ussd') {
      const response = ussdAnswer(item.to);
      return (await report(item, { status: 'sent', response })) ? 'answered' : 'moved';
    }
    const error = opts.fail?.(item);
    if (error) return (await report(item, { status: 'failed', error })) ? 'failed' : 'moved';
    await sleep(sendMs, undefined, { signal });
    if (Date.now() >= item.leaseUntil) return 'expired'; // the radio took too long: not sent
    sent.push(item);
    if (!(await report(item, { status: 'sent' }))) return 'moved';
    const delivery = sleep(deliverAfterMs, undefined, { signal })
      .then(() => report(item, { status: 'delivered' }))
      .then(
        (kept) => log(`#${item.id} ${kept ? 'delivered' : 'moved'}`),
        (err: Error) => {
          if (!signal.aborted) log(`#${item.id} delivery report: ${err.message}`);
        },
      )
      .finally(() => later.delete(delivery));
    later.add(delivery);
    return 'sent';
  }

  const sims = opts.sims ?? [{ slot: 1 }];
  const ready = retrying(() => call('POST', '/gateway/android/sims', { sims })).then(() => log(`SIMs reported: ${sims.map((s) => s.slot).join(', ')}`));

  const loop = (async () => {
    await ready;
    while (!signal.aborted) {
      const { messages } = await retrying(() => call<{ messages: OutboxItem[] }>('GET', `/gateway/android/outbox?wait=${wait}&limit=10`));
      // the lease by this phone's own clock, from when the answer came
      const received = Date.now();
      for (const item of messages.map((m) => ({ ...m, leaseUntil: received + m.leaseMs }))) {
        const outcome = await handle(item).catch((err: Error) => {
          if (signal.aborted) throw err;
          log(`#${item.id}: ${err.message}`);
          return 'unreported' as const;
        });
        handled.push({ item, outcome });
        log(`#${item.id} ${item.type} ${item.type === 'ussd' ? item.to : `to ${item.to} (SIM ${item.sim ?? '-'})`}: ${outcome}`);
      }
    }
  })().catch((err: Error) => {
    if (!signal.aborted) log(`stopped: ${err.message}`);
  });

  return {
    ready,
    sent,
    handled,
    async stop() {
      stopping.abort();
      await Promise.allSettled([loop, ...later]);
    },
  };
}

/** SIMS=1:Partner:100,2:Cellcom → [{slot: 1, carrier: 'Partner', dailyQuota: 100}, {slot: 2, carrier: 'Cellcom'}] */
export function parseSims(text: string): Sim[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const [slot, carrier, quota] = part.trim().split(':');
      return { slot: Number(slot), ...(carrier ? { carrier } : {}), ...(quota ? { dailyQuota: Number(quota) } : {}) };
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.SWITCHBOARD_URL;
  const secret = process.env.DEVICE_SECRET;
  if (!url || !secret) {
    console.error('Set SWITCHBOARD_URL and DEVICE_SECRET (from POST /api/devices); optional SIMS=1:Partner:100,2:Cellcom');
    process.exit(2);
  }
  const sim = startDeviceSimulator({
    url,
    secret,
    sims: process.env.SIMS ? parseSims(process.env.SIMS) : undefined,
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  console.log(`device simulator polling ${url}; Ctrl-C stops it`);
  process.once('SIGINT', () => void sim.stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
}
