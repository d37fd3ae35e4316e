// The dashboard (`/`) and the chat page (`/chat`): a page shell each, whose script and stylesheet are this
// Worker's static assets (built from edge/ui/src by scripts/ui.ts), under a strict Content-Security-Policy:
// nothing but this origin, no inline script or style, no framing.
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../env.ts';

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const shell = (title: string, script: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light">
  <title>${title}</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/app/style.css">
</head>
<body>
  <div id="app"></div>
  <noscript>This page needs JavaScript.</noscript>
  <script type="module" src="/app/${script}.js"></script>
</body>
</html>`;

const page = (title: string, script: string) => (c: Context<AppEnv>) => {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  return c.html(shell(title, script));
};

export const pagesRouter = new Hono<AppEnv>().get('/', page('Switchboard', 'dashboard')).get('/chat', page('Switchboard chat', 'chat'));
