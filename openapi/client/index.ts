// A typed client for the Switchboard API: paths, bodies and responses come from openapi.json.
//   const sb = createSwitchboardClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: 'sba_...' });
//   const { data, error } = await sb.GET('/api/clients');
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.d.ts';

export type { components, paths } from './schema.d.ts';

export interface SwitchboardClientOptions extends ClientOptions {
  baseUrl: string;
  /** an account or client API key, sent as x-api-key */
  apiKey?: string;
}

export function createSwitchboardClient({ apiKey, headers, ...rest }: SwitchboardClientOptions) {
  return createClient<paths>({ ...rest, headers: { ...(apiKey ? { 'x-api-key': apiKey } : {}), ...(headers as Record<string, string> | undefined) } });
}
