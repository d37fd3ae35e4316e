// The webhooks page (to be built).
import type { PageProps } from './types.ts';

export function WebhooksPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
