// The logs page (to be built).
import type { PageProps } from './types.ts';

export function LogsPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
