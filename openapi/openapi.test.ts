import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, renderFiles, SCHEMA_PATH } from '../scripts/openapi.ts';

const committed = JSON.parse(readFileSync(DOC_PATH, 'utf8'));

describe('openapi/openapi.json', () => {
  it('is up to date with the routes (run `npm run openapi` after changing them)', async () => {
    const { document, schema } = await renderFiles();
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(document);
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schema);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(committed));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(committed.openapi).toBe('3.1.0');
  });

  it('declares its security schemes and describes every response of every operation', () => {
    expect(Object.keys(committed.components.securitySchemes).sort()).toEqual(['ApiKeyAuth', 'DeviceSecret', 'SessionCookie']);
    let operations = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(committed.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        operations++;
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => /^[12]/.test(s)),
          `${method} ${path}`,
        ).toBe(true);
        for (const [status, response] of Object.entries<any>(op.responses)) {
          expect(response.description, `${method} ${path} ${status}`).toBeTruthy();
          if (Number(status) >= 200) expect(response.content, `${method} ${path} ${status}`).toBeTruthy();
          if (Number(status) >= 400) expect(response.content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
        }
        if (op.security) expect(statuses, `${method} ${path}`).toContain('401');
      }
    }
    expect(operations).toBeGreaterThanOrEqual(12);
  });

  it('describes every webhook event in its webhooks section', () => {
    expect(Object.keys(committed.webhooks).sort()).toEqual([
      'call_rejected',
      'client_status',
      'message_ack',
      'message_failed',
      'message_received',
      'message_sent',
      'notification_received',
      'sms_received',
      'sms_status',
      'ussd_response',
    ]);
    const received = committed.components.schemas.MessageReceivedData;
    expect(received.required).toEqual(expect.arrayContaining(['from', 'to', 'body', 'message', 'timestamp', 'type']));
  });

  it("serves the spec's paths", () => {
    for (const path of ['/api/add-number', '/api/clients', '/api/profile', '/api/reset-api-key', '/clients/{clientId}', '/api/update-webhook', '/api/logs']) {
      expect(Object.keys(committed.paths)).toContain(path);
    }
    expect(Object.keys(committed.paths).some((p) => p.startsWith('/internal'))).toBe(false);
  });
});
