import { expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

it('answers within its time to live, forgets after it, and stays bounded', () => {
  const cache = new TtlCache<string, number>(5000, 3);
  cache.set('a', 1, 0);
  expect(cache.get('a', 4999)).toBe(1);
  expect(cache.get('a', 5000)).toBeUndefined();
  for (const [k, v] of [
    ['b', 2],
    ['c', 3],
    ['d', 4],
    ['e', 5],
  ] as const)
    cache.set(k, v, 10);
  expect(cache.get('b', 10)).toBeUndefined();
  expect(cache.get('e', 10)).toBe(5);
  cache.deleteWhere((v) => v >= 4);
  expect([cache.get('c', 10), cache.get('d', 10), cache.get('e', 10)]).toEqual([3, undefined, undefined]);
});
