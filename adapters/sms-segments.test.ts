import { describe, expect, it } from 'vitest';
import { SmsSegmentsSchema, smsSegments } from './sms-segments.ts';

const gsm = (n: number) => 'a'.repeat(n);
const hebrew = (n: number) => 'ש'.repeat(n);

describe('smsSegments: GSM-7', () => {
  it('empty text is one GSM-7 segment of 0 characters', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0, unitsPerSegment: 160 });
  });

  it('160 characters fit one segment; 161 split into parts of 153', () => {
    expect(smsSegments(gsm(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160, unitsPerSegment: 160 });
    expect(smsSegments(gsm(161))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161, unitsPerSegment: 153 });
    expect(smsSegments(gsm(306))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 306, unitsPerSegment: 153 });
    expect(smsSegments(gsm(307))).toEqual({ encoding: 'GSM-7', segments: 3, characters: 307, unitsPerSegment: 153 });
  });

  it('non-ASCII characters of the basic table count 1', () => {
    expect(smsSegments('Ä é ñ ü £ ¥ Ω ¿')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 15, unitsPerSegment: 160 });
  });

  it('each extension-table character counts 2', () => {
    for (const c of ['€', '[', ']', '{', '}', '~', '^', '\\', '|']) {
      expect(smsSegments(c)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2, unitsPerSegment: 160 });
    }
    expect(smsSegments('€[]{}~^\\|')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 18, unitsPerSegment: 160 });
  });

  it("80 '€' are 160 septets in one segment; 81 are 162 in two", () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160, unitsPerSegment: 160 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 162, unitsPerSegment: 153 });
  });

  it('an extension pair is never split across parts', () => {
    // 152 + 2 + 152 = 306 septets, but the € moves whole to part 2, pushing one 'a' into part 3
    expect(smsSegments(`${gsm(152)}€${gsm(152)}`)).toEqual({ encoding: 'GSM-7', segments: 3, characters: 306, unitsPerSegment: 153 });
  });
});

describe('smsSegments: UCS-2', () => {
  it('70 Hebrew characters fit one segment; 71 split into parts of 67', () => {
    expect(smsSegments(hebrew(70))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70, unitsPerSegment: 70 });
    expect(smsSegments(hebrew(71))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71, unitsPerSegment: 67 });
    expect(smsSegments(hebrew(134))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 134, unitsPerSegment: 67 });
    expect(smsSegments(hebrew(135))).toEqual({ encoding: 'UCS-2', segments: 3, characters: 135, unitsPerSegment: 67 });
  });

  it('an emoji in GSM text switches to UCS-2 and counts 2', () => {
    expect(smsSegments('hi 😀')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 5, unitsPerSegment: 70 });
    expect(smsSegments(`${gsm(68)}😀`)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70, unitsPerSegment: 70 });
    expect(smsSegments(`${gsm(69)}😀`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71, unitsPerSegment: 67 });
  });

  it('extension characters count 1 once the text is UCS-2', () => {
    expect(smsSegments('€[] 😀')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 6, unitsPerSegment: 70 });
  });

  it('Hebrew and emoji together', () => {
    expect(smsSegments('שלום 😀')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 7, unitsPerSegment: 70 });
    expect(smsSegments(`${hebrew(68)}😀`)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70, unitsPerSegment: 70 });
    expect(smsSegments(`${hebrew(69)}😀`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71, unitsPerSegment: 67 });
  });

  it('no smart encoding: curly quotes stay and force UCS-2', () => {
    expect(smsSegments('“hi”')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 4, unitsPerSegment: 70 });
  });
});

describe('SmsSegmentsSchema', () => {
  it('accepts what smsSegments returns', () => {
    for (const text of ['', gsm(161), '€'.repeat(81), `${hebrew(69)}😀`]) {
      expect(SmsSegmentsSchema.parse(smsSegments(text))).toEqual(smsSegments(text));
    }
  });
});
