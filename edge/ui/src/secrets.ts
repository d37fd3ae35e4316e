// The account's keys and webhook secrets, as POST /auth/reveal gives them to a page once the person typed
// the password (a login never carries them otherwise). Kept in this page's memory only, never stored.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from './api.ts';

export type Revealed = Schemas['RevealedSecrets'];

let revealed: Revealed | null = null;
const listeners = new Set<(r: Revealed | null) => void>();

export async function reveal(password: string): Promise<Revealed> {
  revealed = await must(api.POST('/auth/reveal', { body: { password } }));
  for (const l of listeners) l(revealed);
  return revealed;
}

/** A key changed (reset): what was revealed is out of date. */
export function updateRevealed(change: (r: Revealed) => Revealed): void {
  if (!revealed) return;
  revealed = change(revealed);
  for (const l of listeners) l(revealed);
}

/** Forget what was revealed (a secret changed): the next look asks the password again. */
export function forgetRevealed(): void {
  revealed = null;
  for (const l of listeners) l(null);
}

export function useRevealed(): Revealed | null {
  const [value, setValue] = useState(revealed);
  useEffect(() => {
    listeners.add(setValue);
    setValue(revealed);
    return () => {
      listeners.delete(setValue);
    };
  }, []);
  return value;
}
