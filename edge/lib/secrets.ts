// Secrets at rest: SHA-256 lookups for high-entropy tokens, AES-GCM sealing for what must be shown or used again.
const enc = new TextEncoder();
const dec = new TextDecoder();

export const toB64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
export const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A random token of `bytes` bytes, hex-encoded, with an optional prefix. */
export function randomToken(bytes = 20, prefix = ''): string {
  return prefix + toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(value))));
}

/** Constant-time comparison of two equal-purpose strings. */
export function safeEqual(a: string, b: string): boolean {
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

const keyCache = new Map<string, Promise<CryptoKey>>();
function sealKey(secretB64: string): Promise<CryptoKey> {
  let key = keyCache.get(secretB64);
  if (!key) {
    const raw = fromB64(secretB64);
    if (raw.length !== 32) throw new Error('SEAL_KEY must be 32 bytes, base64-encoded');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keyCache.set(secretB64, key);
  }
  return key;
}

/** AES-256-GCM: `v1.<iv>.<ciphertext>` in base64. */
export async function seal(secretB64: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await sealKey(secretB64), enc.encode(plaintext));
  return `v1.${toB64(iv)}.${toB64(new Uint8Array(ct))}`;
}

export async function unseal(secretB64: string, sealed: string): Promise<string> {
  const [v, iv, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !ct) throw new Error('unknown sealed format');
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(iv) }, await sealKey(secretB64), fromB64(ct));
  return dec.decode(pt);
}
