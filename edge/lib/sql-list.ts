// A list of values in a query as ONE bound parameter (a JSON array read with json_each), so no query's
// parameter count grows with the rows asked for (D1 allows 100 bound parameters per query).
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

/** `column IN (the values)`, with the values as one JSON parameter. */
export const inList = (column: SQLWrapper, values: readonly (string | number)[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;

/** Under D1's size limit for one bound string (1 MB) with room to spare: at most 3 bytes a UTF-16 unit. */
const MAX_JSON_CHARS = 100_000;

/**
 * Rows as JSON arrays for `json_each`, as many statements' worth as their size needs: each array at most
 * MAX_JSON_CHARS long (a single larger row goes alone), the rows in their order.
 */
export function jsonChunks(rows: readonly unknown[], maxChars = MAX_JSON_CHARS): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (parts.length && size + json.length + 1 > maxChars) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      size = 2;
    }
    parts.push(json);
    size += json.length + 1;
  }
  if (parts.length) chunks.push(`[${parts.join(',')}]`);
  return chunks;
}
