import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, rulesFrom } from './rate-rules.ts';

describe('rulesFrom (RATE_LIMITS)', () => {
  it('keeps the spec defaults when unset', () => {
    expect(rulesFrom(undefined)).toEqual(DEFAULT_RULES);
    expect(DEFAULT_RULES).toEqual({
      sensitive: { limit: 5, windowSec: 3600 },
      delete: { limit: 10, windowSec: 900 },
      api: { limit: 100, windowSec: 900 },
      dashboard: { limit: 1000, windowSec: 900 },
      chat: { limit: 60, windowSec: 60 },
      gateway: { limit: 600, windowSec: 60 },
      device: { limit: 120, windowSec: 60 },
      deviceAuth: { limit: 20, windowSec: 900 },
      internalAuth: { limit: 20, windowSec: 900 },
    });
  });

  it('overrides rules by name, partially', () => {
    const rules = rulesFrom('{"api":{"limit":1000,"windowSec":60},"chat":{"limit":2}}');
    expect(rules.api).toEqual({ limit: 1000, windowSec: 60 });
    expect(rules.chat).toEqual({ limit: 2, windowSec: 60 });
    expect(rules.sensitive).toEqual(DEFAULT_RULES.sensitive);
  });

  it('falls back to the defaults on malformed JSON or unknown rules', () => {
    expect(rulesFrom('{not json')).toEqual(DEFAULT_RULES);
    expect(rulesFrom('{"bogus":{"limit":1}}')).toEqual(DEFAULT_RULES);
    expect(rulesFrom('{"api":{"limit":-1}}')).toEqual(DEFAULT_RULES);
  });
});
