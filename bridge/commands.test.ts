// The bridge's side of leases: a request must name the epoch the bridge holds the client at; a grant
// brings the edge's copy of the auth state (so a second bridge resumes a paired sandbox number without
// a scan); a release closes the session at once; a queued message re-sent by the next holder is one message.
import { describe, expect, it } from 'vitest';
import type { AuthEntry, BridgeEvent, RequestFrame } from '../adapters/protocol.ts';
import { exportAuth, forgetAuth, restoreAuth } from './auth-state.ts';
import { commandHandlers, runRequest } from './commands.ts';
import { openBridgeDb } from './db.ts';
import { Leases } from './leases.ts';
import { Sessions } from './sessions.ts';
import { SandboxNetwork } from './transports/sandbox/network.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';

const SPEC = { clientRef: 7, clientId: 'c7', phoneNumber: '12345678907' };

/** One bridge: its own database, the shared sandbox network, and what it reported to the edge. */
function aBridge(network: SandboxNetwork) {
  const db = openBridgeDb(':memory:');
  const events: BridgeEvent[] = [];
  const leases = new Leases();
  const sessions = new Sessions({
    factory: sandboxTransport(db, { ackDelayMs: 60_000, network }),
    emit: (_r, e) => events.push(e),
    allowPrivateMedia: false,
    db,
  });
  const handlers = commandHandlers({
    sessions,
    specs: new Map(),
    leases,
    restoreAuth: (ref, entries) => restoreAuth(db, ref, entries),
    forgetAuth: (ref) => forgetAuth(db, ref),
  });
  let n = 0;
  const ask = (op: RequestFrame['op'], epoch: number, params: Record<string, unknown> = {}) =>
    runRequest(handlers, leases, { t: 'req', id: `r${n++}`, clientRef: SPEC.clientRef, epoch, op, params });
  return { db, events, leases, sessions, ask };
}

const authOf = (events: BridgeEvent[]): AuthEntry[] => events.flatMap((e) => (e.kind === 'auth' ? e.entries : []));

describe('leases on the bridge', () => {
  it('refuses a request under another epoch; a grant resumes the number from the edge copy; a release closes it', async () => {
    const network = new SandboxNetwork(openBridgeDb(':memory:'));
    const a = aBridge(network);
    await expect(a.ask('groups', 1)).rejects.toMatchObject({ code: 'NOT_HOLDER' });
    await a.ask('assign', 1, { ...SPEC, epoch: 1 });
    await a.ask('start', 1, SPEC);
    expect((await a.ask('sandbox.scan', 1)) as { status: string }).toMatchObject({ status: 'connected' });
    // the pairing went to the edge as auth state
    const kept = authOf(a.events);
    expect(kept).toEqual([{ type: 'sandbox', id: 'pairing', value: SPEC.phoneNumber }]);
    expect(exportAuth(a.db, SPEC.clientRef)).toEqual(kept);
    await expect(a.ask('groups', 2)).rejects.toMatchObject({ code: 'NOT_HOLDER' });
    const sent = (await a.ask('send', 1, { to: '15550000001', text: 'queued one', key: 'q-1' })) as { messageId: string };

    // the lease moves: the old holder closes at once, forgets its copy (the edge has it) and refuses what comes under its old epoch
    await a.ask('release', 1);
    expect(exportAuth(a.db, SPEC.clientRef)).toEqual([]);
    await expect(a.ask('send', 1, { to: '15550000001', text: 'late', key: 'q-2' })).rejects.toMatchObject({ code: 'NOT_HOLDER' });
    await expect(a.ask('assign', 1, { ...SPEC, epoch: 1 })).resolves.toEqual({ held: true }); // re-granted at once: allowed
    await a.ask('release', 1);

    // the next holder has never seen this number: the edge's copy connects it without a scan
    const b = aBridge(network);
    await b.ask('assign', 2, { ...SPEC, epoch: 2, auth: kept });
    await expect.poll(() => b.events.some((e) => e.kind === 'status' && e.status === 'connected')).toBe(true);
    // the queued message the old holder may or may not have sent goes again under its key: the same message
    const again = (await b.ask('send', 2, { to: '15550000001', text: 'queued one', key: 'q-1' })) as { messageId: string };
    expect(again.messageId).toBe(sent.messageId);
    expect(((await b.ask('sandbox.outbox', 2)) as { body: string }[]).map((m) => m.body)).toEqual(['queued one']);
    // an older grant arriving late is refused
    await expect(b.ask('assign', 1, { ...SPEC, epoch: 1 })).rejects.toMatchObject({ code: 'NOT_HOLDER' });
    await b.sessions.stopAll();
  });

  it('an edge with no copy (paired before leases existed) keeps the local one', () => {
    const db = openBridgeDb(':memory:');
    db.prepare('INSERT INTO sandbox_pairings (client_ref, number) VALUES (?, ?)').run(7, '12345678907');
    expect(restoreAuth(db, 7, [])).toBe(false);
    expect(exportAuth(db, 7)).toEqual([{ type: 'sandbox', id: 'pairing', value: '12345678907' }]);
    expect(restoreAuth(db, 7, [{ type: 'creds', id: '', value: 'v1:x' }])).toBe(true);
    expect(exportAuth(db, 7)).toEqual([{ type: 'creds', id: '', value: 'v1:x' }]);
  });
});
