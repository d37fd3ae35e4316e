// System routes: /health, and /docs — the API reference (Scalar), whose script is one of this Worker's
// static assets (no CDN).
import { createRouter } from '../../lib/router.ts';
import { linkFor } from '../../services/bridge-commands.ts';
import { healthRoute } from './system.routes.ts';

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
    const link = await linkFor(c.env).status();
    return c.json({ status: 'ok' as const, bridge: link.connected ? ('connected' as const) : ('disconnected' as const) }, 200);
  })
  .get('/docs', (c) => {
    c.header('Content-Security-Policy', CSP);
    return c.html(page);
  })
  .get('/docs/init.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(init);
  });
