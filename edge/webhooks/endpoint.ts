// Webhook endpoints: a client's or a device's URL, signing secret and X-Api-Key, addressed as
// `client:<id>` / `device:<id>` (the name of its WebhookSender Durable Object too), and a rule's webhook
// action, `rule:<rule>:<action index>` (its URL from the action, signed with the rule's secret, no key).
import { and, eq } from 'drizzle-orm';
import { getDb, type Db } from '../db/client.ts';
import { apiKeys, clients, devices, webhookDeliveries } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { seal, unseal } from '../lib/secrets.ts';
import { forgetClient } from '../services/clients.ts';
import { newWebhookSecret } from './sign.ts';
import { allowPrivateUrls, checkOutboundUrl } from '../../adapters/url-guard.ts';
import type { ENDPOINT_KINDS } from '../../adapters/vocabulary.ts';

export type EndpointKey = `client:${number}` | `device:${number}` | `rule:${number}:${number}`;

export interface Endpoint {
  key: EndpointKey;
  url: string | null;
  secret: string | null;
  /** sent as X-Api-Key: the client's key, or the device's secret */
  apiKey: string;
  disabled: boolean;
}

export function parseEndpointKey(key: string): { kind: (typeof ENDPOINT_KINDS)[number]; id: number; index: number } | null {
  const m = /^(client|device|rule):(\d+)(?::(\d+))?$/.exec(key);
  if (!m || (m[1] === 'rule') !== (m[3] !== undefined)) return null;
  return { kind: m[1] as (typeof ENDPOINT_KINDS)[number], id: Number(m[2]), index: Number(m[3] ?? 0) };
}

async function loadRuleEndpoint(env: Bindings, key: EndpointKey, ruleRef: number, index: number): Promise<Endpoint | null> {
  const row = await env.DB.prepare('SELECT actions, webhook_secret_sealed FROM rules WHERE id = ?')
    .bind(ruleRef)
    .first<{ actions: string; webhook_secret_sealed: string | null }>();
  if (!row) return null;
  const action = (JSON.parse(row.actions) as { type: string; url?: string }[])[index];
  return {
    key,
    url: action?.type === 'webhook' && action.url ? action.url : null,
    secret: row.webhook_secret_sealed ? await unseal(env.SEAL_KEY, row.webhook_secret_sealed) : null,
    apiKey: '',
    disabled: false,
  };
}

export async function loadEndpoint(env: Bindings, key: string): Promise<Endpoint | null> {
  const parsed = parseEndpointKey(key);
  if (!parsed) return null;
  if (parsed.kind === 'rule') return loadRuleEndpoint(env, key as EndpointKey, parsed.id, parsed.index);
  const db = getDb(env.DB);
  const [row] =
    parsed.kind === 'client'
      ? await db
          .select({ url: clients.webhookUrl, secret: clients.webhookSecretSealed, disabledAt: clients.webhookDisabledAt, keySealed: apiKeys.keySealed })
          .from(clients)
          .leftJoin(apiKeys, eq(apiKeys.clientRef, clients.id))
          .where(eq(clients.id, parsed.id))
          .limit(1)
      : await db
          .select({ url: devices.webhookUrl, secret: devices.webhookSecretSealed, disabledAt: devices.webhookDisabledAt, keySealed: devices.secretSealed })
          .from(devices)
          .where(eq(devices.id, parsed.id))
          .limit(1);
  if (!row) return null;
  return {
    key: key as EndpointKey,
    url: row.url,
    secret: row.secret ? await unseal(env.SEAL_KEY, row.secret) : null,
    apiKey: row.keySealed ? await unseal(env.SEAL_KEY, row.keySealed) : '',
    disabled: row.disabledAt !== null,
  };
}

/** The endpoint answered 410 Gone: stop sending to it; waiting deliveries are paused, not lost. */
export async function disableEndpoint(db: Db, key: EndpointKey): Promise<void> {
  const parsed = parseEndpointKey(key)!;
  if (parsed.kind === 'rule') return; // a rule's action has no switch: that delivery is dead, the rule's next run tries again
  const now = Date.now();
  await db.batch([
    parsed.kind === 'client'
      ? db.update(clients).set({ webhookDisabledAt: now }).where(eq(clients.id, parsed.id))
      : db.update(devices).set({ webhookDisabledAt: now }).where(eq(devices.id, parsed.id)),
    db
      .update(webhookDeliveries)
      .set({ status: 'paused' })
      .where(and(eq(webhookDeliveries.endpoint, key), eq(webhookDeliveries.status, 'pending'))),
  ]);
  if (parsed.kind === 'client') forgetClient(parsed.id);
}

export interface WebhookSettings {
  webhookUrl: string | null;
  webhookSecret: string | null;
}

/**
 * Saves a webhook URL (checked by the outbound-URL guard) for a client or device: issues the signing
 * secret on first use or on rotation, re-enables a disabled endpoint and resumes its paused deliveries.
 */
export async function saveWebhook(
  env: Bindings,
  key: EndpointKey,
  current: { webhookSecretSealed: string | null },
  input: { webhookUrl: string | null | undefined; rotateSecret?: boolean },
): Promise<WebhookSettings & { resumed: boolean }> {
  const url = input.webhookUrl?.trim() || null;
  if (url) {
    const checked = checkOutboundUrl(url, { allowPrivate: allowPrivateUrls(env), httpsOnly: true });
    if (!checked.ok) throw new ApiError(400, 'INVALID_WEBHOOK_URL', `Webhook URL refused: ${checked.reason}`);
  }
  let sealed = current.webhookSecretSealed;
  if (url && (!sealed || input.rotateSecret)) sealed = await seal(env.SEAL_KEY, newWebhookSecret());
  const parsed = parseEndpointKey(key)!;
  const db = getDb(env.DB);
  const settings = { webhookUrl: url, webhookSecretSealed: sealed, webhookDisabledAt: null };
  const [, resumed] = await db.batch([
    parsed.kind === 'client'
      ? db.update(clients).set(settings).where(eq(clients.id, parsed.id))
      : db.update(devices).set(settings).where(eq(devices.id, parsed.id)),
    db
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: Date.now() })
      .where(and(eq(webhookDeliveries.endpoint, key), eq(webhookDeliveries.status, 'paused')))
      .returning({ id: webhookDeliveries.id }),
  ]);
  if (parsed.kind === 'client') forgetClient(parsed.id); // this isolate's cached row shows the new URL at once
  return { webhookUrl: url, webhookSecret: sealed ? await unseal(env.SEAL_KEY, sealed) : null, resumed: url !== null && resumed.length > 0 };
}
