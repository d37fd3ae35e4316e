import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { isSandbox } from './env.ts';

describe('WA_TRANSPORT as the Worker reads it', () => {
  it('is the simulated network only when told so: unset or anything else protects real numbers', () => {
    expect(isSandbox({})).toBe(false);
    expect(isSandbox({ WA_TRANSPORT: 'baileys' })).toBe(false);
    expect(isSandbox({ WA_TRANSPORT: 'Sandbox ' })).toBe(false);
    expect(isSandbox({ WA_TRANSPORT: 'sandbox' })).toBe(true);
  });

  it('the tests run as npm start tells the Worker: sandbox', () => {
    expect(isSandbox(env)).toBe(true);
  });
});
