import { describe, expect, it } from 'vitest';
import { bridgeEnv, childEnv } from './child-env.ts';

describe('child environments', () => {
  const env = { PATH: '/usr/bin', ADMIN_PASSWORD: 'pw', ADMIN_API_KEY: 'sba_key', ADMIN_USERNAME: 'root', BAILEYS_LOG_LEVEL: 'debug' };

  it('never pass the admin password or API key on', () => {
    expect(childEnv(env)).toEqual({ PATH: '/usr/bin', ADMIN_USERNAME: 'root', BAILEYS_LOG_LEVEL: 'debug' });
    expect(env.ADMIN_PASSWORD).toBe('pw');
  });

  it('give the bridge its settings and credential', () => {
    const e = bridgeEnv(env, {
      edgeUrl: 'http://127.0.0.1:1',
      stateDir: '/s',
      bridgeId: 'bridge-1',
      transport: 'sandbox',
      allowPrivateUrls: false,
      token: 'sbb_own',
    });
    expect(e).toMatchObject({
      EDGE_URL: 'http://127.0.0.1:1',
      BRIDGE_TOKEN: 'sbb_own',
      STATE_DIR: '/s',
      BRIDGE_ID: 'bridge-1',
      WA_TRANSPORT: 'sandbox',
      BAILEYS_LOG_LEVEL: 'debug',
    });
    expect(e.ADMIN_PASSWORD).toBeUndefined();
    expect(e.ADMIN_API_KEY).toBeUndefined();
    expect(e.SEAL_KEY).toBeUndefined();
    expect(Object.values(e)).not.toContain('internal');
  });
});
