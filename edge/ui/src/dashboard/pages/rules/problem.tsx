// The API's refusal of a draft (a 400 whose `error` starts with the field it names, `rule.actions.0.text:`)
// said with the field as the form labels it — "Action 1 (Reply) › Text" — then the API's own words.
import type { ActionDraft } from './model.ts';
import { errorPath } from './model.ts';
import { ACTION_WORDS } from './words.ts';

const TRIGGER_FIELDS: Record<string, string> = {
  event: 'Event',
  textContains: 'Text contains',
  textRegex: 'Text matches',
  from: 'From (senders)',
  package: 'Apps (packages)',
  channel: 'Channel',
  clientId: 'WhatsApp number',
  deviceId: 'Android device',
  timeWindow: 'Time window',
  includeRuleSends: 'Limits',
};
const ACTION_FIELDS: Record<string, string> = {
  to: 'To',
  subject: 'Subject',
  body: 'Body',
  text: 'Text',
  clientId: 'From number',
  deviceId: 'Through device',
  url: 'URL',
  type: 'Type',
};

/** `actions.0.text` → `Action 1 (Reply) › Text`; null when the path names nothing known. */
export function whereWords(path: string, actions: ActionDraft[]): string | null {
  const [root, a, b] = path.split('.');
  if (root === 'name') return 'Name';
  if (root === 'maxRunsPerMinute') return 'Runs a minute at most';
  if (root === 'trigger') return a ? `When › ${TRIGGER_FIELDS[a] ?? a}` : 'When';
  if (root === 'actions') {
    const n = Number(a);
    if (a === undefined || !Number.isInteger(n)) return 'Then';
    const type = actions[n]?.type;
    const action = `Action ${n + 1}${type ? ` (${ACTION_WORDS[type]})` : ''}`;
    return b ? `${action} › ${ACTION_FIELDS[b] ?? b}` : action;
  }
  return null;
}

export function Problem(props: { error: string; actions: ActionDraft[]; class?: string }) {
  const path = errorPath(props.error);
  const where = path ? whereWords(path, props.actions) : null;
  const words = where ? props.error.replace(/^[^:]*:\s*/, '') : props.error;
  return (
    <p class={`notice notice-error ${props.class ?? ''}`} role="alert">
      {where && <strong>{where}: </strong>}
      {words}
    </p>
  );
}
