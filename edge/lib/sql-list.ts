// A list of values in a query as ONE bound parameter (a JSON array read with json_each), so no query's
// parameter count grows with the rows asked for (D1 allows 100 bound parameters per query).
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

/** `column IN (the values)`, with the values as one JSON parameter. */
export const inList = (column: SQLWrapper, values: readonly (string | number)[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
