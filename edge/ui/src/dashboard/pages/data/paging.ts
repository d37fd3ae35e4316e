// Cursor paging for the Messages, Scheduling and Webhooks pages: an API answer with its `X-Next-Cursor`
// header, and a hook that walks the pages of a list (first page again whenever its filters change).
import { useState } from 'preact/hooks';
import { sentence } from '../../../api.ts';
import { useAsync } from '../../../components.tsx';

/** One page of a list and where the next one starts (null on the last page). */
export type Page<T> = { rows: T[]; next: string | null };

/** Unwraps an openapi-fetch answer like `must`, keeping the `X-Next-Cursor` header and the response. */
export async function withCursor<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ data: T; next: string | null; response: Response }> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new Error(sentence(error, `The server answered ${response.status}.`));
  return { data: data as T, next: response.headers.get('X-Next-Cursor'), response };
}

export interface Paged<T> {
  rows: T[] | undefined;
  error: string | null;
  loading: boolean;
  /** 1 for the first page */
  page: number;
  hasNext: boolean;
  next(): void;
  first(): void;
  /** loads the page shown again (after a change) */
  reload(): void;
}

/**
 * The pages of a list: `load(cursor)` answers one page; `filters` are what select the list (a change goes
 * back to its first page). Only the cursors of the pages seen are kept: "first page" and "next page".
 */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<Page<T>>, filters: unknown[]): Paged<T> {
  const key = JSON.stringify(filters);
  const [walk, setWalk] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = walk.key === key ? walk.cursors : [undefined];
  const cursor = cursors.at(-1);
  const result = useAsync(() => load(cursor), [key, cursor, cursors.length]);
  const next = result.data?.next ?? null;
  return {
    rows: result.data?.rows,
    error: result.error,
    loading: result.loading,
    page: cursors.length,
    hasNext: next !== null,
    next: () => next !== null && setWalk({ key, cursors: [...cursors, next] }),
    first: () => setWalk({ key, cursors: [undefined] }),
    reload: result.reload,
  };
}
