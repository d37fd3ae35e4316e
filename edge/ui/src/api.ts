// Every call the pages make goes through the generated typed client (openapi/client): a route or a field
// that changes in the API breaks this code at compile time. The dashboard's login cookie authenticates it.
import { createSwitchboardClient, type components, type paths } from '../../../openapi/client/index.ts';

export type Schemas = components['schemas'];
export type { paths };

/** Told when a call answers 401: the login expired or was ended elsewhere. */
let onSignedOut: () => void = () => {};
export const whenSignedOut = (fn: () => void) => {
  onSignedOut = fn;
};

export const api = createSwitchboardClient({ baseUrl: location.origin, credentials: 'same-origin' });
/**
 * Asks whether the login still holds; a 401 there means it ended. Answers whether the server answered at all
 * (false: unreachable or failing, as while it restarts).
 */
async function checkLogin(): Promise<boolean> {
  const res = await fetch('/auth/me', { credentials: 'same-origin' }).catch(() => null);
  if (res?.status === 401) onSignedOut();
  return res !== null && res.status < 500;
}

api.use({
  onResponse({ response, request }) {
    // a 401 may be about what was sent (an out-of-date key to reset, say), not the login: ask before leaving
    if (response.status === 401) {
      const path = new URL(request.url).pathname;
      if (path === '/auth/me') onSignedOut();
      else if (path !== '/auth/login') void checkLogin();
    }
    return response;
  },
});

export { checkLogin };

/** The API's error as a sentence for a person (the `error` field of its one error shape). */
export function sentence(error: unknown, fallback = 'Something went wrong. Try again.'): string {
  const e = error as { error?: unknown; code?: unknown; message?: unknown } | null | undefined;
  if (e && typeof e.error === 'string' && e.error) return /[.!?]$/.test(e.error) ? e.error : `${e.error}.`;
  if (e && typeof e.message === 'string' && e.message) return e.message;
  return fallback;
}

/** Unwraps an openapi-fetch answer: its data, or an Error carrying the API's sentence. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new Error(sentence(error, `The server answered ${response.status}.`));
  return data as T;
}
