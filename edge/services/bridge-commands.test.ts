// linkedNow: a link object that does not answer in time, or fails, leaves D1's view standing.
import { describe, expect, it } from 'vitest';
import type { Bindings } from '../env.ts';
import { linkedNow } from './bridge-commands.ts';

const envWith = (linked: () => Promise<boolean>) => ({ BRIDGE_LINK: { getByName: () => ({ linked }) } }) as unknown as Bindings;

describe('linkedNow', () => {
  it("answers the link object's word when it comes in time", async () => {
    expect(
      await linkedNow(
        envWith(async () => false),
        'b',
        true,
      ),
    ).toBe(false);
    expect(
      await linkedNow(
        envWith(async () => true),
        'b',
        false,
      ),
    ).toBe(true);
  });

  it('keeps the fallback when the object fails or stays silent past a second', async () => {
    expect(
      await linkedNow(
        envWith(() => Promise.reject(new Error('overloaded'))),
        'b',
        true,
      ),
    ).toBe(true);
    const started = Date.now();
    expect(
      await linkedNow(
        envWith(() => new Promise<boolean>(() => {})),
        'b',
        true,
      ),
    ).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000); // answered at its wait, not never
  });
});
