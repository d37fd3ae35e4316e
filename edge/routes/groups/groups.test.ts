// Group sends through the queue: the spec's anti-spam delay spaces a burst of group sends apart.
import { describe, expect, it } from 'vitest';
import { connectFakeBridge } from '../../test/fake-bridge.ts';
import { addClient, call, newUser } from '../../test/helpers.ts';

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
    for (const n of [1, 2, 3]) {
      const sent = await call('/api/send-group-message', { key: u.apiKey, body: { clientId, groupId: GROUP, message: `update ${n}` } });
      expect(sent.status).toBe(200);
      const view = await call(`/api/messages/${sent.json.message.id._serialized}`, { key: u.apiKey });
      times.push(Date.parse(view.json.notBefore));
    }
    // the default delay is 2–5 s: each one at least 2 s after the one before, not all at about the same time
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(2000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(2000);
    bridge.close();
  });
});
