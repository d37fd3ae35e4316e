import { describe, expect, it } from 'vitest';
import { addClient, call, newUser } from './test/helpers.ts';

describe('bad input never causes a 5xx', () => {
  it('answers malformed JSON, wrong types and wrong content types with a 400 JSON error', async () => {
    const u = await newUser();
    const bodies: [string, Record<string, string>, number?][] = [
      ['{"clientId": ', {}],
      ['null', {}],
      ['[]', {}],
      ['"a string"', {}],
      ['{"clientId": {"$gt": ""}, "phoneNumber": []}', {}],
      ['clientId=a&phoneNumber=123', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['just text', { 'content-type': 'text/plain' }, 415],
      ['', {}],
    ];
    for (const [body, headers, status = 400] of bodies) {
      const res = await call('/api/add-number', { key: u.apiKey, body, headers });
      expect(res.status, body).toBe(status);
      expect(res.json, body).toMatchObject({ success: false, code: expect.any(String), error: expect.any(String) });
    }
    expect((await call('/api/clients', { key: u.apiKey })).json).toEqual([]);
  });

  it('answers an oversized body with 413', async () => {
    const u = await newUser();
    const res = await call('/api/add-number', { key: u.apiKey, body: JSON.stringify({ clientId: 'x', phoneNumber: '1'.repeat(2 * 1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('survives a fuzz of random bodies, headers and paths on every route', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const routes: [string, string][] = [
      ['POST', '/api/add-number'],
      ['POST', '/api/update-webhook'],
      ['POST', '/api/reset-api-key'],
      ['POST', '/api/admin/users'],
      ['POST', '/auth/login'],
      ['DELETE', `/clients/${clientId}`],
      ['GET', '/api/logs?limit=%ZZ&before=-1'],
      ['GET', '/api/usage?days=1e9'],
      ['GET', '/api/clients'],
      ['POST', '/internal/bootstrap'],
    ];
    const values = [null, true, 0, -1, 1e308, '', ' ', '\u0000', '𝕏'.repeat(300), [], {}, { a: 1 }, '../../etc/passwd', "' OR 1=1 --", 'https://127.0.0.1/'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const fields = ['clientId', 'phoneNumber', 'webhookUrl', 'username', 'password', 'currentApiKey', 'role', 'maxClients', 'rotateSecret', 'apiKey'];
    for (let i = 0; i < 150; i++) {
      const [method, path] = routes[rand(routes.length)]!;
      const body: Record<string, unknown> = {};
      for (let f = 0; f < 4; f++) body[fields[rand(fields.length)]!] = values[rand(values.length)];
      const res = await call(path, { method, key: rand(3) ? u.apiKey : `garbage-key-${i}`, body: method === 'GET' ? undefined : body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      expect(res.json?.success ?? true, `${method} ${path}`).not.toBe(undefined);
    }
  });
});
