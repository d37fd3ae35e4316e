// The usage page (to be built).
import type { PageProps } from './types.ts';

export function UsagePage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
