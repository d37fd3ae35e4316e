// The `ussd_response` webhook of a USSD request made through the API: its answer, or why it failed.
import type { WebhookEvent } from '../../adapters/events.ts';

/** A USSD request's answer, or its failure, as the `ussd_response` webhook carries it. */
export function ussdEvent(
  item: { publicId: string | null; to: string; sim: number | null },
  deviceId: string,
  now: number,
  outcome: { response: string } | { error: string },
): WebhookEvent {
  return {
    event: 'ussd_response',
    data: {
      requestId: item.publicId ?? undefined,
      code: item.to,
      response: 'response' in outcome ? outcome.response : '',
      status: 'response' in outcome ? 'answered' : 'failed',
      ...('error' in outcome ? { error: outcome.error } : {}),
      sim: item.sim,
      deviceId,
      device: null,
      id: null,
      timestamp: now,
      type: 'ussd_response',
    },
  };
}
