// A rule's save-time checks beyond its zod schema: what only makes sense for the trigger's event.
// A patch is checked as the rule it makes (the caller merges it first).
import type { EventName } from '../../adapters/events.ts';
import { checkRegex } from './match.ts';
import type { RuleInput } from './schema.ts';
import { checkTemplate } from './template.ts';

export interface RuleProblem {
  /** Where, as a dotted path into the input: `trigger.textRegex`, `actions.1.subject`. */
  path: string;
  message: string;
}

/** Events a `reply` can answer: they have a sender and a channel back to it. */
const REPLYABLE: readonly EventName[] = ['message_received', 'sms_received'];
/** Events with a `data.from` a `from` filter can compare (see eventSender). */
const WITH_SENDER: readonly EventName[] = ['message_received', 'sms_received', 'call_rejected'];
/** Events that travel on no channel (see eventChannel): a `channel` filter never matches them. */
const WITHOUT_CHANNEL: readonly EventName[] = ['notification_received', 'ussd_response', 'client_status'];

/** The first problem found, or null when the rule may be saved. */
export function checkRule(input: RuleInput): RuleProblem | null {
  const { trigger, actions } = input;
  const event = trigger.event;

  if (trigger.channel && WITHOUT_CHANNEL.includes(event)) {
    return { path: 'trigger.channel', message: `${event} travels on no channel; remove the channel filter` };
  }
  if (trigger.from && !WITH_SENDER.includes(event)) {
    return { path: 'trigger.from', message: `a sender filter needs an event with a sender (${WITH_SENDER.join(', ')})` };
  }
  if (trigger.package && event !== 'notification_received') {
    return { path: 'trigger.package', message: 'a package filter works on notification_received only' };
  }
  if (trigger.textRegex !== undefined) {
    const why = checkRegex(trigger.textRegex);
    if (why) return { path: 'trigger.textRegex', message: why };
  }

  const stops = actions.flatMap((a, i) => (a.type === 'stop' ? [i] : []));
  if (stops.length > 1) return { path: `actions.${stops[1]}`, message: 'only one stop action is allowed' };
  if (stops.length === 1 && stops[0] !== actions.length - 1) return { path: `actions.${stops[0]}`, message: 'a stop action must be the last action' };

  for (const [i, action] of actions.entries()) {
    const at = `actions.${i}`;
    if (action.type === 'reply' && !REPLYABLE.includes(event)) {
      return { path: `${at}.type`, message: `a reply needs an event with a sender (${REPLYABLE.join(', ')})` };
    }
    for (const [field, text] of templateFields(action)) {
      const why = checkTemplate(text, event);
      if (why) return { path: `${at}.${field}`, message: why };
    }
  }
  return null;
}

/** The template fields of an action, by name. */
function templateFields(action: RuleInput['actions'][number]): [string, string][] {
  switch (action.type) {
    case 'email':
      return [
        ['subject', action.subject],
        ['body', action.body],
      ];
    case 'reply':
    case 'whatsapp':
    case 'sms':
      return [['text', action.text]];
    default:
      return [];
  }
}
