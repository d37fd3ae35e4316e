// Profile pictures for the chat and group lists (the spec's `profilePic`): asked of the bridge holding the
// client (which keeps them a day), kept an hour per isolate, and never worth waiting for — a list that cannot
// get them in PICTURE_WAIT_MS answers without them (null) rather than late.
import type { Bindings } from '../env.ts';
import { TtlCache } from '../lib/ttl-cache.ts';
import { ask } from './bridge-commands.ts';

export const PICTURE_WAIT_MS = 2500;
const known = new TtlCache<string, string | null>(60 * 60_000);

export async function picturesFor(env: Bindings, clientRef: number, chatIds: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const missing: string[] = [];
  for (const id of chatIds) {
    const hit = known.get(`${clientRef}:${id}`);
    if (hit !== undefined) out.set(id, hit);
    else missing.push(id);
  }
  if (!missing.length) return out;
  const asked = ask(env, clientRef, 'pictures', { chatIds: missing.slice(0, 100) }).catch(() => null);
  const answer = await Promise.race([asked, new Promise<null>((resolve) => setTimeout(() => resolve(null), PICTURE_WAIT_MS))]);
  if (answer?.ok) {
    for (const { chatId, url } of answer.result) {
      known.set(`${clientRef}:${chatId}`, url);
      out.set(chatId, url);
    }
  }
  return out;
}
