// The `webhooks` section of the API document: every event Switchboard POSTs, with its headers.
import { type OpenAPIHono, z } from '@hono/zod-openapi';

type OpenAPIRegistry = OpenAPIHono['openAPIRegistry'];
import { EVENT_SCHEMAS, WebhookReplySchema } from '../../adapters/events.ts';

const Headers = z.object({
  'x-api-key': z.string().openapi({ description: "The client's API key (for a device: its secret)" }),
  'webhook-id': z.string().openapi({ description: 'Unique per event; the same on every retry', example: 'msg_2b8f0c7e4f5a4a0e9d0c3b1a2f4e6d8c' }),
  'webhook-timestamp': z.string().openapi({ description: 'Unix seconds of this attempt', example: '1699123456' }),
  'webhook-signature': z.string().openapi({
    description: '`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the endpoint\'s whsec_ secret',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  }),
});

const DESCRIPTIONS: Record<keyof typeof EVENT_SCHEMAS, string> = {
  message_received: 'A message arrived (WhatsApp session, or WhatsApp on an Android phone). Answer `{"response": "..."}` to send it back to the sender.',
  message_sent: 'A message was sent (through the API, a reply, or a device).',
  message_ack: 'A sent message was delivered, read, or failed.',
  message_failed: 'A queued message will not be sent: why (`code`: EXPIRED, MEDIA_ERROR, READ_ONLY_CHAT, …).',
  call_rejected: 'A call was rejected. Answer `{"rejectionMessage": "..."}` to choose what the caller is sent.',
  client_status: 'A WhatsApp client changed state (pending QR, connected, disconnected, logged out).',
  sms_received: 'An Android device received an SMS. Answer `{"response": "..."}` to reply by SMS from the same SIM.',
  ussd_response: 'An Android device got a USSD response; `requestId` names the `POST /api/ussd` request it answers.',
  sms_status: 'An SMS sent through `POST /api/sms/send` was sent, delivered or failed, as its device reports it.',
  notification_received: 'An Android device showed an app notification.',
};

export function registerWebhooks(registry: OpenAPIRegistry): void {
  for (const [name, schema] of Object.entries(EVENT_SCHEMAS) as [keyof typeof EVENT_SCHEMAS, (typeof EVENT_SCHEMAS)[keyof typeof EVENT_SCHEMAS]][]) {
    registry.registerWebhook({
      method: 'post',
      path: name,
      summary: name,
      description: `${DESCRIPTIONS[name]} Delivered within 5 s (3 s for call events), retried on non-2xx for up to 8 attempts over about 38 hours.`,
      tags: ['Webhook events'],
      request: { headers: Headers, body: { content: { 'application/json': { schema } } } },
      responses: {
        200: { description: 'Any 2xx acknowledges the event', content: { 'application/json': { schema: WebhookReplySchema } } },
        410: { description: 'Gone: Switchboard disables the endpoint until its URL is saved again' },
      },
    });
  }
}
