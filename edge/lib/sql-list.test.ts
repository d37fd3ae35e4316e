import { describe, expect, it } from 'vitest';
import { jsonChunks } from './sql-list.ts';

describe('jsonChunks', () => {
  it('keeps every row, in order, in arrays no longer than the cap (a larger row alone)', () => {
    const rows = [
      ['a', 1],
      ['b'.repeat(40), 2],
      ['c', 3],
      ['d'.repeat(200), 4],
      ['e', 5],
    ];
    const chunks = jsonChunks(rows, 60);
    expect(chunks.flatMap((c) => JSON.parse(c))).toEqual(rows);
    for (const c of chunks) expect(c.length <= 60 || JSON.parse(c).length === 1).toBe(true);
    expect(chunks.length).toBeGreaterThan(2);
  });

  it('one array when the rows are small, none for no rows', () => {
    expect(jsonChunks([[1], [2]])).toEqual(['[[1],[2]]']);
    expect(jsonChunks([])).toEqual([]);
  });
});
