// One Durable Object per webhook endpoint: its alarm sends the endpoint's due deliveries (rows in D1).
import { sendDue } from '../webhooks/send-due.ts';
import type { WebhookSenderRpc } from './contracts.ts';
import { Wakeable } from './wakeable.ts';

export class WebhookSender extends Wakeable<string> implements WebhookSenderRpc {
  // the name its objects have kept the endpoint under since before Wakeable
  protected override readonly keyName = 'endpoint';

  protected async work(endpoint: string) {
    const { next, sent } = await sendDue(this.env, endpoint, (p) => this.ctx.waitUntil(p));
    return { next, worked: sent };
  }
}
