// The devices page (to be built).
import type { PageProps } from './types.ts';

export function DevicesPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
