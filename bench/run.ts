// npm run bench: every benchmark, figures printed as JSON. `npm run bench -- webhooks` runs one.
import { benchBridgeMemory } from './bridge-memory.ts';
import { benchHistory } from './history.ts';
import { benchRules } from './rules.ts';
import { benchScheduled } from './scheduled.ts';
import { benchSend } from './send.ts';
import { benchSms } from './sms.ts';
import { benchWebhooks } from './webhooks.ts';

const all: Record<string, () => Promise<unknown>> = {
  webhooks: () => benchWebhooks(),
  send: () => benchSend(),
  sms: () => benchSms(),
  'bridge-memory': () => benchBridgeMemory(),
  scheduled: () => benchScheduled(),
  history: () => benchHistory(),
  rules: () => benchRules(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const results: Record<string, unknown> = {};
for (const [name, run] of Object.entries(all)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.error(`running ${name}...`);
  results[name] = await run();
}
console.log(JSON.stringify(results, null, 2));
