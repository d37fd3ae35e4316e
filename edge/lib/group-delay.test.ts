import { expect, it } from 'vitest';
import { groupDelay, groupDelayRange } from './group-delay.ts';

it('reads GROUP_SEND_DELAY_MS as a range, one value, or 0 to disable; 2000-5000 by default', () => {
  expect(groupDelayRange(undefined)).toEqual([2000, 5000]);
  expect(groupDelayRange('')).toEqual([2000, 5000]);
  expect(groupDelayRange('0')).toEqual([0, 0]);
  expect(groupDelayRange('100-300')).toEqual([100, 300]);
  expect(groupDelayRange('300-100')).toEqual([100, 300]);
  expect(groupDelayRange('nonsense')).toEqual([2000, 5000]);
  expect(groupDelay('100-300', () => 0)).toBe(100);
  expect(groupDelay('100-300', () => 1)).toBe(300);
  expect(groupDelay('0')).toBe(0);
});
