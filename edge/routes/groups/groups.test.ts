// Group sends through the queue: the spec's anti-spam delay spaces a burst of group sends apart, and in an
// outage a send to a group the number was last seen in waits in the queue like any other.
import { describe, expect, it } from 'vitest';
import { connectFakeBridge } from '../../test/fake-bridge.ts';
import { env, runInDurableObject } from 'cloudflare:test';
import { addClient, call, newUser, refOf, until } from '../../test/helpers.ts';

const GROUP = '120363000000000001@g.us';

describe('group sends', () => {
  it('a burst of group sends leaves one every few seconds: each waits the anti-spam delay after the one before', async () => {
    const bridge = await connectFakeBridge();
    const answer = bridge.answer;
    // the number's group; its sends stay queued (the number is away) so their times can be read
    bridge.answer = (frame) => {
      if (frame.op === 'groups')
        return {
          ok: true,
          result: [{ id: GROUP, name: 'Team', description: null, type: 'group', isReadOnly: false, participants: 3, owner: null, createdAt: null }],
        };
      if (frame.op === 'send' || frame.op === 'sendBatch') return { ok: false, code: 'SESSION_NOT_CONNECTED', message: 'away' };
      return answer(frame);
    };
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const times: number[] = [];
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const sent = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: GROUP, message: `update ${n}` } });
      expect(sent.status).toBe(200);
      ids.push(sent.json.message.id._serialized);
      const view = await call(`/api/messages/${sent.json.message.id._serialized}`, { key: u.apiKey });
      times.push(Date.parse(view.json.notBefore));
    }
    // the default delay is 2–5 s: each one at least 2 s after the one before, not all at about the same time
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(2000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(2000);
    // the number's object restarts (its memory gone): the next still waits after the last one queued
    const ref = await refOf(clientId);
    await runInDurableObject(env.CLIENT_HUB.getByName(`client:${ref}`), (obj) => {
      (obj as unknown as { groupSendAt: number | null }).groupSendAt = null;
    });
    const fourth = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: GROUP, message: 'update 4' } });
    ids.push(fourth.json.message.id._serialized);
    const fourthAt = Date.parse((await call(`/api/messages/${ids[3]}`, { key: u.apiKey })).json.notBefore);
    expect(fourthAt - times[2]!).toBeGreaterThanOrEqual(2000);
    // once nothing waits (here: all cancelled), the next one's delay counts from now again
    for (const id of ids) await call(`/api/messages/${id}`, { method: 'DELETE', key: u.apiKey });
    const after = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: GROUP, message: 'fresh start' } });
    const at = Date.parse((await call(`/api/messages/${after.json.message.id._serialized}`, { key: u.apiKey })).json.notBefore);
    expect(at - Date.now()).toBeLessThanOrEqual(5000);
    bridge.close();
  });

  it('in an outage a group send queues on the group list the bridge gave last; with none known it is 503', async () => {
    const bridge = await connectFakeBridge();
    const answer = bridge.answer;
    bridge.answer = (frame) =>
      frame.op === 'groups'
        ? {
            ok: true,
            result: [{ id: GROUP, name: 'Team', description: null, type: 'group', isReadOnly: false, participants: 3, owner: null, createdAt: null }],
          }
        : answer(frame);
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const other = await addClient(u.apiKey);
    expect((await call(`/api/groups/${clientId}`, { key: u.apiKey })).status).toBe(200); // listed once
    bridge.close();
    await until('the link gone', async () => (await call('/health')).json.bridge === 'disconnected');
    const queued = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: GROUP, message: 'while away' } });
    expect([queued.status, queued.json.message?.status, queued.json.groupName]).toEqual([200, 'queued', 'Team']);
    const unknown = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: '120363000000000999@g.us', message: 'x' } });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'GROUP_NOT_FOUND']);
    const never = await call('/api/send-group-message', { key: u.apiKey, body: { clientId: other.clientId, groupId: GROUP, message: 'x' } });
    expect([never.status, never.json.code]).toEqual([503, 'BRIDGE_UNAVAILABLE']);
  });
});
