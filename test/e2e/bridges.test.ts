// BRIDGES=2: npm start runs two bridges, each with its own credential and state; the numbers are spread over
// them, each held by one, and both carry traffic. (Failover and drains: failover.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSwitchboardClient } from '../../openapi/client/index.ts';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-bridges-'));
let running: RunningSystem | undefined;

afterAll(async () => {
  await running?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('BRIDGES=2', () => {
  it('starts two bridges; numbers are spread over them, and each sends through its own', async () => {
    running = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, BRIDGES: '2' } });
    expect(running.bridges.map((b) => b.bridgeId)).toEqual(['bridge-1', 'bridge-2']);
    expect(new Set(running.bridges.map((b) => b.pid())).size).toBe(2);
    const sb = createSwitchboardClient({ baseUrl: running.url, apiKey: running.admin.apiKey! });
    for (const [clientId, phoneNumber] of [
      ['one', '972501000001'],
      ['two', '972501000002'],
    ] as const) {
      expect((await sb.POST('/api/add-number', { body: { clientId, phoneNumber } })).response.status).toBe(200);
      expect((await sb.POST('/api/sandbox/{clientId}/scan', { params: { path: { clientId } } })).data).toMatchObject({ status: 'connected' });
    }
    const { data } = await sb.GET('/api/admin/bridges');
    // each bridge holds one of the two (which one is the least-loaded pick's business)
    expect(data!.bridges.map((b) => [b.bridgeId, b.connected, b.clients.length])).toEqual([
      ['bridge-1', true, 1],
      ['bridge-2', true, 1],
    ]);
    expect(data!.bridges.flatMap((b) => b.clients.map((c) => c.clientId)).sort()).toEqual(['one', 'two']);
    for (const clientId of ['one', 'two']) {
      const sent = await sb.POST('/api/send-message', { body: { clientId, number: '15550000001', message: `from ${clientId}`, wait: true } });
      expect(sent.data).toMatchObject({ success: true, status: 'sent' });
      expect((await sb.GET('/api/sandbox/{clientId}/outbox', { params: { path: { clientId } } })).data).toEqual([
        expect.objectContaining({ to: '15550000001', body: `from ${clientId}` }),
      ]);
    }
  });
});
