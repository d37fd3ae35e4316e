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
 * The credential a bridge presents on its link to the Worker: its own, issued fresh on every start
 * (the old one stops working). INTERNAL_TOKEN only issues it; it does not open the link.
 */
export async function bridgeCredential(url: string, secrets: LocalSecrets, bridgeId: string): Promise<string> {
  const issued = await fetch(`${url}/internal/bridges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.INTERNAL_TOKEN}` },
    body: JSON.stringify({ bridgeId }),
  });
  if (issued.status !== 201) throw new Error(`issuing the bridge credential failed: ${issued.status} ${await issued.text()}`);
  return ((await issued.json()) as { token: string }).token;
}

export interface BridgeSettings {
  edgeUrl: string;
  stateDir: string;
  bridgeId: string;
  transport: string;
  allowPrivateUrls: boolean;
  /** its own credential (bridgeCredential) */
  token: string;
}

export function bridgeEnv(env: NodeJS.ProcessEnv, s: BridgeSettings): NodeJS.ProcessEnv {
  return {
    ...childEnv(env),
    EDGE_URL: s.edgeUrl,
    BRIDGE_TOKEN: s.token,
    STATE_DIR: s.stateDir,
    WA_TRANSPORT: s.transport,
    ALLOW_PRIVATE_WEBHOOK_URLS: s.allowPrivateUrls ? 'true' : 'false',
    BRIDGE_ID: s.bridgeId,
  };
}
