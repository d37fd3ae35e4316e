// System routes: /health, and /docs — the API reference (Scalar), whose script is one of this Worker's
// static assets (no CDN).
import { errorBody } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { linkStatus } from '../../services/bridge-commands.ts';
import { healthRoute } from './system.routes.ts';

let readySeen = false;

/** Migrated and bootstrapped: the admin account exists. Once true, it stays true for this isolate. */
async function isReady(db: D1Database): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (readySeen) return { ok: true };
  try {
    const admin = await db.prepare("SELECT 1 AS one FROM users WHERE role = 'admin' LIMIT 1").first();
    if (!admin) return { ok: false, reason: 'the admin account is not created yet' };
  } catch {
    return { ok: false, reason: 'the database is not migrated yet' };
  }
  readySeen = true;
  return { ok: true };
}

export const SCALAR_PATH = '/docs/vendor/scalar-standalone.js';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Switchboard API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
  <div id="app"></div>
  <script src="${SCALAR_PATH}"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const init = `Scalar.createApiReference('#app', {
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
});`;

const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'";

export const systemRouter = createRouter()
  .openapi(healthRoute, async (c) => {
    const [link, ready] = await Promise.all([linkStatus(c.env), isReady(c.env.DB)]);
    const bridge = link.connected ? ('connected' as const) : ('disconnected' as const);
    if (!ready.ok) return c.json(errorBody('NOT_READY', `Starting: ${ready.reason}`), 503);
    return c.json({ status: 'ok' as const, bridge }, 200);
  })
  .get('/docs', (c) => {
    c.header('Content-Security-Policy', CSP);
    return c.html(page);
  })
  .get('/docs/init.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(init);
  });
