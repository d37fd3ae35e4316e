// The environments npm start gives its child processes. The first-start admin credentials are read
// by npm start alone: no child (bridge, wrangler, workerd) inherits them.
import type { LocalSecrets } from './local-secrets.ts';

export const PARENT_ONLY = ['ADMIN_PASSWORD', 'ADMIN_API_KEY'] as const;

/** A copy of `env` without the variables only npm start may read. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of PARENT_ONLY) delete out[name];
  return out;
}

/**
 * The credential a bridge presents on its link to the Worker. Today every bridge presents the
 * Worker's INTERNAL_TOKEN; per-bridge credentials replace this one function.
 */
export function bridgeCredential(secrets: LocalSecrets, _bridgeId: string): string {
  return secrets.INTERNAL_TOKEN;
}

export interface BridgeSettings {
  edgeUrl: string;
  stateDir: string;
  bridgeId: string;
  transport: string;
  allowPrivateUrls: boolean;
  secrets: LocalSecrets;
}

export function bridgeEnv(env: NodeJS.ProcessEnv, s: BridgeSettings): NodeJS.ProcessEnv {
  return {
    ...childEnv(env),
    EDGE_URL: s.edgeUrl,
    BRIDGE_TOKEN: bridgeCredential(s.secrets, s.bridgeId),
    STATE_DIR: s.stateDir,
    WA_TRANSPORT: s.transport,
    ALLOW_PRIVATE_WEBHOOK_URLS: s.allowPrivateUrls ? 'true' : 'false',
    BRIDGE_ID: s.bridgeId,
  };
}
