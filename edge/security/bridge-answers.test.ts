// The security suites' fake bridge answers every op of the contract in its own result's shape: an op added
// to adapters/protocol.ts without an answer here would make those suites see 502s that are not the API's.
import { describe, expect, it } from 'vitest';
import { checkResult, type Op, OPS } from '../../adapters/protocol.ts';
import { bridgeAnswer } from './bridge-answers.ts';

const SAMPLE_PARAMS: Partial<Record<Op, Record<string, unknown>>> = { pictures: { chatIds: ['15550000001@c.us'] } };
/** sends are answered by the fake bridge itself (edge/test/fake-bridge.ts): keyed, one id per key */
const ANSWERED_BY_THE_FAKE_BRIDGE = new Set<Op>(['send', 'sendBatch']);

describe('the fake bridge of the security suites', () => {
  it('answers every op of the contract with a result its schema accepts', () => {
    for (const op of (Object.keys(OPS) as Op[]).filter((o) => !ANSWERED_BY_THE_FAKE_BRIDGE.has(o))) {
      const answer = bridgeAnswer({ op, params: SAMPLE_PARAMS[op] ?? {} });
      expect(answer, op).toBeDefined();
      expect(checkResult(op, answer ?? { ok: false, code: 'NONE', message: 'no answer' }).ok, op).toBe(true);
    }
  });
});
