// The webhook events (adapters/events.ts names them; copied here so the page bundle carries no schema
// library) and a delivery's state in words.
import type { Schemas } from '../../../api.ts';
import type { Tone } from './ui.tsx';

export type Delivery = Schemas['WebhookDelivery'];

export const EVENTS: { name: string; label: string }[] = [
  { name: 'message_received', label: 'Message received' },
  { name: 'message_sent', label: 'Message sent' },
  { name: 'message_ack', label: 'Message status (ack)' },
  { name: 'message_failed', label: 'Message failed' },
  { name: 'call_rejected', label: 'Call rejected' },
  { name: 'client_status', label: 'Number status' },
  { name: 'sms_received', label: 'SMS received' },
  { name: 'ussd_response', label: 'USSD response' },
  { name: 'notification_received', label: 'Phone notification' },
];

/** `message_received` → `Message received` (an event this page does not know keeps its name). */
export const eventLabel = (name: string) => EVENTS.find((e) => e.name === name)?.label ?? name;

/** The delivery's state as a person reads it; `replayed`: queued again from this page. */
export function deliveryState(d: Delivery, replayed = false): [string, Tone] {
  switch (d.status) {
    case 'delivered':
      return ['Delivered', 'ok'];
    case 'dead':
      return ['Failed', 'bad'];
    case 'paused':
      return ['Paused', 'warn'];
    default:
      if (replayed) return ['Queued again', 'info'];
      return d.attempts > 0 && d.lastError ? ['Retrying', 'warn'] : ['Queued', 'info'];
  }
}

export const STATUS_FILTERS: { value: Delivery['status'] | ''; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Queued or retrying' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'dead', label: 'Failed' },
  { value: 'paused', label: 'Paused' },
];
