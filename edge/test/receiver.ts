// Drives the local receiver (test/support/receiver.ts) from inside workerd.
import { inject } from 'vitest';
import type { Received, ScriptedResponse } from '../../test/support/receiver.ts';

export const receiverUrl = () => inject('receiverUrl');

export function newBox(): { name: string; url: string } {
  const name = `b${crypto.randomUUID().slice(0, 8)}`;
  return { name, url: `${receiverUrl()}/hook/${name}` };
}

export async function script(box: string, responses: ScriptedResponse[], fallback?: ScriptedResponse): Promise<void> {
  await fetch(`${receiverUrl()}/control/${box}`, { method: 'PUT', body: JSON.stringify({ responses, fallback }) });
}

export async function received(box: string): Promise<Received[]> {
  const res = await fetch(`${receiverUrl()}/control/${box}`);
  return ((await res.json()) as { received: Received[] }).received;
}

/** Polls until the box has at least `n` requests (bounded), then returns them. */
export async function waitForRequests(box: string, n: number, timeoutMs = 10_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(box);
    if (got.length >= n || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}
