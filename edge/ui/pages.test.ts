// The page shells: `/` and `/chat` are HTML under a strict CSP whose script and stylesheet are this origin's.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('pages', () => {
  for (const [path, script] of [
    ['/', '/app/dashboard.js'],
    ['/chat', '/app/chat.js'],
  ] as const) {
    it(`${path} is a page shell with a strict Content-Security-Policy`, async () => {
      const res = await SELF.fetch(`http://sb.test${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      const html = await res.text();
      expect(html).toContain(`<script type="module" src="${script}"></script>`);
      expect(html).not.toMatch(/<script>|<style>|style="/); // nothing inline for the CSP to have to allow
    });
  }
});
