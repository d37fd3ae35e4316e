// The scheduling page (to be built).
import type { PageProps } from './types.ts';

export function SchedulingPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
