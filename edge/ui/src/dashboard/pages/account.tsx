// The account page (to be built).
import type { PageProps } from './types.ts';

export function AccountPage(_props: PageProps) {
  return <p class="muted">Coming soon.</p>;
}
