// One Durable Object per account (`rules:<userId>`): its alarm matches the account's new events against
// its rules and runs their actions (rule_events and rule_runs in D1).
import { runRules } from '../rules/runner.ts';
import type { RuleRunnerRpc } from './contracts.ts';
import { Wakeable } from './wakeable.ts';

export class RuleRunner extends Wakeable<number> implements RuleRunnerRpc {
  protected work(userId: number) {
    return runRules(this.env, userId, (p) => this.ctx.waitUntil(p));
  }
}
