import { createRoute, z } from '@hono/zod-openapi';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';
import { MAIL_SECURITY, MAIL_TRANSPORTS, MailSettingsInputSchema } from '../../rules/mail.ts';

const TAG = 'Rules';

export const MailSettingsSchema = z
  .object({
    transport: z.enum(MAIL_TRANSPORTS),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    security: z.enum(MAIL_SECURITY).nullable(),
    username: z.string().nullable(),
    passwordSet: z.boolean().openapi({ description: 'A password is saved (it is never shown)' }),
    from: z.string(),
    fromName: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi('MailSettings');

export const getMailRoute = createRoute({
  method: 'get',
  path: '/api/mail',
  tags: [TAG],
  summary: 'The account’s outgoing mail server (for rules’ email actions)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  responses: { 200: json(MailSettingsSchema, 'Saved settings'), ...errorResponses(401, 403, 404, 429) },
});

export const putMailRoute = createRoute({
  method: 'put',
  path: '/api/mail',
  tags: [TAG],
  summary: 'Set the outgoing mail server',
  description:
    'SMTP over TLS (465) or STARTTLS (587), or Cloudflare Email through the Worker’s `send_email` binding. The password is stored sealed; leave it out to keep the saved one. Loopback and private hosts, and plain-text SMTP, are refused unless private targets are allowed (`ALLOW_PRIVATE_WEBHOOK_URLS`, local setups).',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(MailSettingsInputSchema) },
  responses: { 200: json(MailSettingsSchema, 'Saved'), ...errorResponses(400, 401, 403, 429) },
});

export const deleteMailRoute = createRoute({
  method: 'delete',
  path: '/api/mail',
  tags: [TAG],
  summary: 'Forget the outgoing mail server (email actions then fail with NO_MAIL_SERVER)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  responses: { 200: json(z.object({ success: z.literal(true) }), 'Forgotten'), ...errorResponses(401, 403, 404, 429) },
});

export const testMailRoute = createRoute({
  method: 'post',
  path: '/api/mail/test',
  tags: [TAG],
  summary: 'Send a test email through the saved server',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(z.object({ to: z.email().max(254) }).openapi('MailTest')) },
  responses: {
    200: json(z.object({ sent: z.boolean(), error: z.string().nullable() }).openapi('MailTestResult'), 'What the server said'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});
