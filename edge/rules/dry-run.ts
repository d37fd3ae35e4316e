// A rule tried on an event without doing anything: does it match (and why not), and what would each
// action do — the rendered texts, recipients and URL, and any problem that can be told now.
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { WebhookEvent } from '../../adapters/events.ts';
import type { Bindings } from '../env.ts';
import { mailSettingsView } from './mail-settings.ts';
import { type MatchContext, matchTrigger } from './match.ts';
import type { RuleAction, RuleTrigger } from './schema.ts';
import { renderTemplate } from './template.ts';

export interface TriedEvent {
  event: WebhookEvent;
  ctx: MatchContext;
  replyRoute: ReplyRoute | null;
}

export interface ActionPreview {
  type: RuleAction['type'];
  would: Record<string, unknown> | null;
  problem: string | null;
}

/** Where a sample event came from and where a reply to it would go, read from its own fields. */
export function sampleEvent(event: WebhookEvent, at = Date.now()): TriedEvent {
  const d = event.data as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const deviceId = str(d.deviceId);
  const clientId = deviceId ? null : (str(d.clientId) ?? (event.event === 'message_received' || event.event === 'call_rejected' ? str(d.to) : str(d.from)));
  let replyRoute: ReplyRoute | null = null;
  if (event.event === 'message_received') replyRoute = { channel: event.data.channel ?? 'whatsapp', to: event.data.groupId ?? event.data.from, sim: null };
  if (event.event === 'sms_received') replyRoute = { channel: 'sms', to: event.data.from, sim: event.data.sim };
  return { event, ctx: { clientId, deviceId, fromRule: false, at }, replyRoute };
}

export async function dryRun(
  env: Bindings,
  userId: number,
  rule: { id: string; name: string; trigger: RuleTrigger; actions: RuleAction[] },
  tried: TriedEvent,
  /** the account's mail server as shown (no password), read once by a caller trying many events */
  mailView: () => ReturnType<typeof mailSettingsView> = () => mailSettingsView(env, userId),
): Promise<{ matched: boolean; why: string | null; actions: ActionPreview[] }> {
  const match = matchTrigger(rule.trigger, tried.event, tried.ctx);
  const render = (text: string) => renderTemplate(text, { event: tried.event, rule: { id: rule.id, name: rule.name } });
  const actions: ActionPreview[] = [];
  for (const action of rule.actions) {
    switch (action.type) {
      case 'email': {
        const mail = await mailView();
        actions.push({
          type: 'email',
          would: {
            to: action.to,
            subject: render(action.subject).replace(/[\r\n]+/g, ' '),
            body: render(action.body),
            attachment: action.attachPayload === false ? null : 'event.json',
            via: mail ? (mail.transport === 'cloudflare' ? 'Cloudflare Email' : `${mail.host}:${mail.port}`) : null,
          },
          problem: mail ? null : 'the account has no outgoing mail server (PUT /api/mail)',
        });
        break;
      }
      case 'reply': {
        const route = tried.replyRoute;
        actions.push({
          type: 'reply',
          would: route ? { channel: route.channel, to: route.to, text: render(action.text), via: tried.ctx.clientId ?? tried.ctx.deviceId } : null,
          problem: route ? null : 'this event has no sender to answer',
        });
        break;
      }
      case 'whatsapp': {
        const client = await env.DB.prepare('SELECT status FROM clients WHERE user_id = ? AND client_id = ?')
          .bind(userId, action.clientId)
          .first<{ status: string }>();
        actions.push({
          type: 'whatsapp',
          would: { clientId: action.clientId, to: action.to, text: render(action.text) },
          problem: client ? null : `no WhatsApp client ${action.clientId}`,
        });
        break;
      }
      case 'sms':
        actions.push({ type: 'sms', would: { to: action.to, text: render(action.text), deviceId: action.deviceId ?? 'routed' }, problem: null });
        break;
      case 'webhook':
        actions.push({ type: 'webhook', would: { url: action.url, body: tried.event }, problem: null });
        break;
      case 'stop':
        actions.push({ type: 'stop', would: { laterRules: 'skipped for this event' }, problem: null });
        break;
    }
  }
  return { matched: match.ok, why: match.ok ? null : match.why, actions };
}
