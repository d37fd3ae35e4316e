// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the `whsec_` key.
import { fromB64, toB64 } from '../lib/secrets.ts';

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', fromB64(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
}

export async function signWebhook(secret: string, id: string, timestampSec: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(`${id}.${timestampSec}.${body}`));
  return `v1,${toB64(new Uint8Array(mac))}`;
}

export const newWebhookSecret = () => `whsec_${toB64(crypto.getRandomValues(new Uint8Array(24)))}`;
