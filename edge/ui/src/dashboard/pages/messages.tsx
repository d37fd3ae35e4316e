// The messages page (to be built).
import type { PageProps } from './types.ts';

export function MessagesPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
