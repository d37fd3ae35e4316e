// The Worker's bindings and per-request variables, shared by every router.
import type { Role } from '../adapters/vocabulary.ts';
import type { BridgeLinkRpc, ClientHubRpc, DeviceHubRpc, RateLimiterRpc, RuleRunnerRpc, WebhookSenderRpc } from './objects/contracts.ts';

export interface Bindings {
  DB: D1Database;
  RATE_LIMITER: DurableObjectNamespace<RateLimiterRpc>;
  WEBHOOK_SENDER: DurableObjectNamespace<WebhookSenderRpc>;
  BRIDGE_LINK: DurableObjectNamespace<BridgeLinkRpc>;
  CLIENT_HUB: DurableObjectNamespace<ClientHubRpc>;
  DEVICE_HUB: DurableObjectNamespace<DeviceHubRpc>;
  RULE_RUNNER: DurableObjectNamespace<RuleRunnerRpc>;
  /** Cloudflare Email Routing (`[[send_email]] name = "EMAIL"`), for rules' email actions when chosen */
  EMAIL?: SendEmail;
  /**
   * `sandbox` or `baileys`: the bridges' transport. Anything but `sandbox` (unset too) counts as `baileys`:
   * real numbers get the governor's protective defaults, and the sandbox control routes do not exist.
   */
  WA_TRANSPORT?: string;
  /** anti-spam delay range before group sends, e.g. `2000-5000`; `0` disables */
  GROUP_SEND_DELAY_MS?: string;
  ASSETS?: Fetcher;
  /** base64 of 32 random bytes: the AES-GCM key that seals API keys and webhook secrets */
  SEAL_KEY: string;
  /** bearer token for /internal/* (first-start bootstrap; later the bridge link) */
  INTERNAL_TOKEN: string;
  ALLOW_PRIVATE_WEBHOOK_URLS?: string;
  /** JSON overriding limiter rules by name */
  RATE_LIMITS?: string;
  /** JSON overriding the send governor's defaults for the transport (pacing, new-contact cap, warm-up, pauses) */
  GOVERNOR?: string;
}

/** Whether the Worker was told its bridges run the simulated network (never assumed: unset is a real one). */
export const isSandbox = (env: Pick<Bindings, 'WA_TRANSPORT'>): boolean => env.WA_TRANSPORT === 'sandbox';

export interface AuthContext {
  userId: number;
  username: string;
  role: Role;
  via: 'key' | 'session';
  /** set when authenticated by a client key: the internal id of that one client */
  clientRef: number | null;
  /** `account` or `client:<clientId>`, for usage counting */
  keyLabel: string;
}

export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    auth: AuthContext;
    /** the bridge a link credential names */
    bridge?: { bridgeId: string; tokenHash: string };
  };
};
