import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import committed from '../../../openapi/openapi.json';

describe('API document and reference', () => {
  it('serves /openapi.json exactly as committed in openapi/', async () => {
    const res = await SELF.fetch('http://sb.test/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(committed);
  });

  it('serves /docs with a CSP that allows only this origin', async () => {
    const res = await SELF.fetch('http://sb.test/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('/docs/vendor/scalar-standalone.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const init = await (await SELF.fetch('http://sb.test/docs/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
  });
});
