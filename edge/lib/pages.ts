// Bounded lists: every list answers at most `limit` rows and at most PAGE_BYTES of row text, newest
// first, and says where the next page starts in a `cursor` (the `Link: <…>; rel="next"` and
// `X-Next-Cursor` headers), so a list never grows with the table.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

/** What one page of rows may carry at most (the size of their text fields). */
export const PAGE_BYTES = 1024 * 1024;

/** The query of a paged list: `limit` (at most `max`) and the `cursor` of the previous page. */
export const pageQuery = (max: number, fallback = max) => ({
  limit: z.coerce.number().int().min(1).max(max).default(fallback),
  cursor: z
    .string()
    .regex(/^\d{1,16}(_\d{1,16})?$/, 'cursor: the X-Next-Cursor of the previous page')
    .optional()
    .openapi({ description: 'Where this page starts: the `X-Next-Cursor` header of the previous page' }),
});

export const NEXT_CURSOR_HEADERS = {
  'X-Next-Cursor': { description: 'Pass as `cursor` for the next page; absent on the last page', schema: { type: 'string' as const } },
  Link: { description: '`<url>; rel="next"` for the next page', schema: { type: 'string' as const } },
};

/** Keeps rows while they fit (at least one); `more` when rows were left out or the query found one more. */
export function fitPage<T>(rows: T[], limit: number, size: (row: T) => number, maxBytes = PAGE_BYTES): { page: T[]; more: boolean } {
  const page: T[] = [];
  let bytes = 0;
  for (const row of rows.slice(0, limit)) {
    bytes += size(row);
    if (page.length && bytes > maxBytes) return { page, more: true };
    page.push(row);
  }
  return { page, more: rows.length > limit };
}

/** Sets the next-page headers (nothing on the last page). */
export function setNextCursor(c: Context, cursor: string | null): void {
  if (cursor === null) return;
  c.header('X-Next-Cursor', cursor);
  const next = new URL(c.req.url);
  next.searchParams.set('cursor', cursor);
  c.header('Link', `<${next.pathname}${next.search}>; rel="next"`);
}

/** A cursor of one id, or of a time and an id (for lists ordered by a time). */
export const parseCursor = (cursor: string | undefined): { at: number; id: number } | undefined => {
  if (!cursor) return undefined;
  const [a, b] = cursor.split('_').map(Number);
  return b === undefined ? { at: Number.NaN, id: a! } : { at: a!, id: b };
};

/**
 * One page of a list ordered by id, newest first: `fetch` gets the id to start below (undefined: the
 * newest) and how many rows to take; the next-page headers are set from the last row kept.
 */
export async function pageById<T>(
  c: Context,
  q: { limit: number; cursor?: string },
  fetch: (before: number | undefined, take: number) => Promise<T[]>,
  idOf: (row: T) => number,
  size: (row: T) => number,
): Promise<T[]> {
  const rows = await fetch(parseCursor(q.cursor)?.id, q.limit + 1);
  const { page, more } = fitPage(rows, q.limit, size);
  setNextCursor(c, more ? String(idOf(page.at(-1)!)) : null);
  return page;
}

export const textBytes = (...parts: (string | null | undefined)[]) => parts.reduce((n, p) => n + (p?.length ?? 0), 64);
