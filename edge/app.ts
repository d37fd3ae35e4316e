// The Worker's HTTP surface: one OpenAPIHono app, one error path, one API document.
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, codeForStatus, errorBody } from './lib/errors.ts';
import { createRouter } from './lib/router.ts';
import { apiRateLimit, rateLimit } from './middleware/rate-limit.ts';
import { usage } from './middleware/usage.ts';
import { registerWebhooks } from './webhooks/openapi.ts';
import { accountRouter } from './routes/account/account.handlers.ts';
import { adminRouter } from './routes/admin/admin.handlers.ts';
import { authRouter } from './routes/auth/auth.handlers.ts';
import { androidGatewayRouter } from './routes/android-gateway/android-gateway.handlers.ts';
import { callsRouter } from './routes/calls/calls.handlers.ts';
import { chatsRouter } from './routes/chats/chats.handlers.ts';
import { clientsRouter } from './routes/clients/clients.handlers.ts';
import { devicesRouter } from './routes/devices/devices.handlers.ts';
import { groupsRouter } from './routes/groups/groups.handlers.ts';
import { internalRouter } from './routes/internal/internal.handlers.ts';
import { messagesRouter } from './routes/messages/messages.handlers.ts';
import { queueRouter } from './routes/queue/queue.handlers.ts';
import { sandboxRouter } from './routes/sandbox/sandbox.handlers.ts';
import { schedulingRouter } from './routes/scheduling/scheduling.handlers.ts';
import { smsRouter } from './routes/sms/sms.handlers.ts';
import { rulesRouter } from './routes/rules/rules.handlers.ts';
import { mailRouter } from './routes/rules/mail.handlers.ts';
import { systemRouter } from './routes/system/system.handlers.ts';
import { pagesRouter } from './ui/pages.ts';
import { webhooksRouter } from './routes/webhooks/webhooks.handlers.ts';

export const API_INFO = {
  title: 'Switchboard API',
  version: '0.1.0',
  description:
    'One typed API and one signed webhook stream for WhatsApp, SMS, USSD and phone notifications. ' +
    'Authenticate with `x-api-key` (an account key, or a client key for that client only) or, for dashboard routes, the session cookie from `POST /auth/login`. ' +
    'Every error is JSON: `{"success": false, "code": "CLIENT_NOT_FOUND", "error": "Client not found"}`.',
};

export function createApp() {
  const app = createRouter();

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An account API key (all your clients) or a client API key (that client only)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'SessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'sb_session',
    description: 'Dashboard session from POST /auth/login',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'DeviceSecret', {
    type: 'apiKey',
    in: 'header',
    name: 'x-device-secret',
    description: "An Android device's secret (also accepted as `secret` in the body)",
  });

  registerWebhooks(app.openAPIRegistry);

  const limitBody = bodyLimit({
    maxSize: 1024 * 1024,
    onError: () => {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'Request body over 1 MiB');
    },
  });
  // GET and HEAD carry no body we read; hono's bodyLimit would rebuild such a request with its (chunked)
  // body, which the Request constructor refuses (a 500), so they skip it
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  // every authenticated route family is limited: /api/*, the spec's root-level routes, dashboard calls
  for (const path of ['/api/*', '/schedule-message', '/scheduled-messages', '/scheduled-messages/*', '/clients/*', '/auth/me', '/auth/logout']) {
    app.use(path, apiRateLimit());
  }
  // devices: every call per address, wrong secrets per address (each device is limited in its handlers)
  app.use('/gateway/*', rateLimit('gateway'), rateLimit('deviceAuth', { count: 'failures' }));
  // operator and bridge credentials: wrong ones counted per address (a right one gives its slot back)
  app.use('/internal/*', rateLimit('internalAuth', { count: 'failures' }));
  app.use('*', usage());

  // one router per area, each named after its OpenAPI tag
  for (const router of [
    systemRouter,
    authRouter,
    adminRouter,
    accountRouter,
    clientsRouter,
    messagesRouter,
    queueRouter,
    callsRouter,
    sandboxRouter,
    groupsRouter,
    chatsRouter,
    smsRouter,
    rulesRouter,
    mailRouter,
    schedulingRouter,
    devicesRouter,
    androidGatewayRouter,
    webhooksRouter,
    internalRouter,
  ]) {
    app.route('/', router);
  }

  // the dashboard and the chat page (not API routes: not in the document)
  app.route('/', pagesRouter);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: API_INFO,
    tags: [
      { name: 'System' },
      { name: 'Auth', description: 'Dashboard sessions' },
      { name: 'Account' },
      { name: 'Clients', description: 'WhatsApp numbers' },
      { name: 'Messages' },
      { name: 'Queue', description: "Every send joins its number's queue: follow a message, cancel it, see the queue, set the send governor" },
      { name: 'Calls' },
      { name: 'Chats', description: 'Conversations and live updates' },
      { name: 'Groups', description: 'Groups and channels' },
      { name: 'Scheduling', description: 'Messages sent later, to the second' },
      { name: 'Sandbox', description: 'The simulated WhatsApp network (WA_TRANSPORT=sandbox)' },
      { name: 'Webhooks', description: 'Settings, delivery log and replay' },
      { name: 'Devices', description: 'Android companion devices' },
      { name: 'Rules', description: 'Automations: when an event matches, send an email, reply, send WhatsApp or SMS, call a webhook' },
      { name: 'Android gateway', description: 'What a device calls' },
      { name: 'Admin' },
    ],
  });

  // No route: a static asset (docs bundle, favicon) if there is one, else the JSON 404.
  app.notFound(async (c) => {
    if (c.env?.ASSETS && (c.req.method === 'GET' || c.req.method === 'HEAD') && !c.req.path.startsWith('/api/')) {
      const asset = await c.env.ASSETS.fetch(c.req.raw);
      if (asset.status < 400) return asset;
    }
    return c.json(errorBody('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`), 404);
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status, err.headers);
    if (err instanceof HTTPException) {
      // Hono's own middleware (bearerAuth) answers with the JSON error body it was given
      if (err.res?.headers.get('content-type')?.startsWith('application/json')) return err.getResponse();
      const status = err.status >= 500 ? 500 : err.status;
      return c.json(errorBody(codeForStatus(status), err.message || 'Request refused'), status);
    }
    console.error('unhandled error', c.req.method, c.req.path, err);
    return c.json(errorBody('INTERNAL_ERROR', 'Internal error'), 500);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
