// A bridge fleet over `npm start` with BRIDGES=2: one bridge is killed with SIGKILL while traffic flows.
// Its numbers resume on the other within 30 s, without a new scan (their auth state came from the edge);
// sends made with Idempotency-Keys meanwhile are neither lost nor doubled (the sandbox network, like
// WhatsApp, knows a message by its id, and a re-sent queued message keeps its id); messages sent to a
// number while it was away arrive after it is back. Then SIGTERM drains the survivor's peer cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LEASE_MS } from '../../adapters/protocol.ts';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { systemApi } from '../support/system-api.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-failover-'));
let system: RunningSystem | undefined;
const { api, until } = systemApi(() => system, { untilMs: 45_000, everyMs: 200 });

afterAll(async () => {
  await system?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const CLIENTS = ['fa', 'fb', 'fc', 'fd'];
const holders = async (): Promise<Record<string, string>> => {
  const { json } = await api('/api/admin/bridges');
  return Object.fromEntries(json.bridges.flatMap((b: any) => b.clients.map((c: any) => [c.clientId, b.bridgeId])));
};
const allConnected = async () => ((await api('/api/clients')).json as { status: string }[]).every((c) => c.status === 'Authenticated');

describe('bridge failover (BRIDGES=2)', () => {
  it('a bridge killed during traffic: its numbers resume on the other; keyed sends once each; messages to them arrive after', async () => {
    const RATE_LIMITS = JSON.stringify({ api: { limit: 100_000, windowSec: 900 } }); // the test's own traffic is not the point
    system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, BRIDGES: '2', RATE_LIMITS } });
    for (const [i, clientId] of CLIENTS.entries()) {
      expect((await api('/api/add-number', { clientId, phoneNumber: `97250200000${i}` })).status).toBe(200);
      expect((await api(`/api/sandbox/${clientId}/scan`, {})).json.status).toBe('connected');
    }
    const before = await holders();
    expect(Object.keys(before).sort()).toEqual(CLIENTS);
    const victim = system.bridges.find((b) => b.bridgeId === 'bridge-1')!;
    const moved = CLIENTS.filter((c) => before[c] === 'bridge-1');
    expect(moved.length).toBe(2); // the fleet spreads them evenly

    // traffic: every client sends every 100 ms under a fresh Idempotency-Key; a refusal is retried with the same key
    const keys = new Map<string, { clientId: string; body: string; messageId?: string }>();
    let flowing = true;
    const send = async (key: string) => {
      const k = keys.get(key)!;
      for (let attempt = 0; attempt < 100; attempt++) {
        const res = await api(
          '/api/send-message',
          { clientId: k.clientId, number: '15550000001', message: k.body },
          { headers: { 'Idempotency-Key': key } },
        ).catch(() => null);
        if (res && (res.status === 200 || res.status === 202)) {
          if (k.messageId) expect(res.json.messageId).toBe(k.messageId); // a retry answers the first result
          k.messageId = res.json.messageId;
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`send ${key} never accepted`);
    };
    const traffic = (async () => {
      for (let n = 0; flowing; n++) {
        await Promise.all(
          CLIENTS.map((clientId) => {
            const key = `k-${clientId}-${n}`;
            keys.set(key, { clientId, body: `msg ${clientId} ${n}` });
            return send(key);
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));

    const killedAt = Date.now();
    await victim.kill();
    // a contact writes to one of its numbers while it is away: the network holds it
    const away = await api(`/api/sandbox/${moved[0]}/inbound`, { from: '15550000002', message: 'while you were away' });
    expect(away.status).toBe(202);

    // every number is held by the survivor and connected again, without a new scan
    await until('the victim numbers on bridge-2', async () => {
      const now = await holders();
      return CLIENTS.every((c) => now[c] === 'bridge-2') && (await allConnected());
    });
    const resumedMs = Date.now() - killedAt;
    console.log(`failover: the killed bridge's ${moved.length} numbers connected on bridge-2 ${resumedMs} ms after SIGKILL (${keys.size} keyed sends so far)`);
    expect(resumedMs).toBeLessThan(30_000);
    expect(resumedMs).toBeGreaterThanOrEqual(LEASE_MS - 1000); // no new socket before the old one is surely fenced

    // a few more rounds after the failover, then the traffic stops and any retry with a used key changes nothing
    await new Promise((r) => setTimeout(r, 1500));
    flowing = false;
    await traffic;
    for (const key of [...keys.keys()].slice(0, 4)) await send(key);

    // every keyed message was sent exactly once
    const pending = async () => {
      for (const [key, k] of keys) {
        const { json } = await api(`/api/messages/${k.messageId}`);
        if (json.status !== 'sent' && json.status !== 'delivered' && json.status !== 'read') return key;
      }
      return undefined;
    };
    await until('every keyed message sent', async () => !(await pending()), 60_000);
    for (const clientId of moved) {
      const outbox = (await api(`/api/sandbox/${clientId}/outbox`)).json as { id: string; body: string }[];
      const bodies = outbox.map((m) => m.body);
      // the network saw each message once, whichever bridge sent it
      expect(new Set(bodies).size).toBe(bodies.length);
      const mine = [...keys.values()].filter((k) => k.clientId === clientId).map((k) => k.body);
      expect(bodies.sort()).toEqual(mine.sort());
    }
    const inbox = (await api(`/api/received-messages/${moved[0]}?limit=5`)).json.messages as { message: string }[];
    expect(inbox.map((m) => m.message)).toContain('while you were away');
  }, 150_000);

  it('SIGTERM drains a bridge: its numbers move to the other before it exits', async () => {
    const victimBack = system!.bridges.find((b) => b.bridgeId === 'bridge-1')!;
    await victimBack.start(); // the killed bridge comes back and takes its fair share
    await until('bridge-1 holds its share again', async () => Object.values(await holders()).filter((b) => b === 'bridge-1').length === 2);
    const drained = system!.bridges.find((b) => b.bridgeId === 'bridge-2')!;
    const started = Date.now();
    await drained.stop(); // SIGTERM
    const stoppedMs = Date.now() - started;
    const now = await holders();
    expect(CLIENTS.every((c) => now[c] === 'bridge-1')).toBe(true);
    await until('all connected on bridge-1', allConnected, 15_000);
    // a drain hands over at once: nothing waits for a lease to run out
    expect(stoppedMs).toBeLessThan(LEASE_MS);
    const sent = await api('/api/send-message', { clientId: CLIENTS[3], number: '15550000001', message: 'after the drain', wait: true });
    expect(sent.json).toMatchObject({ status: 'sent' });
  }, 90_000);
});
