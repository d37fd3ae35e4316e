// The SMS page's live segment counter: the count `adapters/sms-segments.ts` gives the API (`smsSegments`),
// computed in the browser with the same library (sms-segments-calculator: auto encoding, no smart
// encoding). That module is not imported as it is: it also builds the zod schema of the count, and zod
// would add some 460 KB to the dashboard; the library alone adds about 38 KB. The browser test checks that
// both count alike.
import { SegmentedMessage } from 'sms-segments-calculator';

/** As the API's `SmsSegments` (the page assigns one to the other, so a change there breaks the build here). */
export interface Segments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
  unitsPerSegment: number;
}

const PER_SEGMENT: Record<Segments['encoding'], { single: number; multi: number }> = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

function count(message: SegmentedMessage): Segments {
  const encoding = message.encodingName;
  const characters = message.encodedChars.reduce((sum, c) => sum + c.codeUnits.length, 0);
  const segments = message.segmentsCount;
  const { single, multi } = PER_SEGMENT[encoding];
  return { encoding, segments, characters, unitsPerSegment: segments > 1 ? multi : single };
}

/** How `text` goes out as SMS: exactly what the API answers in `segments`. */
export const smsSegments = (text: string): Segments => count(new SegmentedMessage(text, 'auto', false));

/** The count, and the characters outside GSM-7 that make a text UCS-2 (each once, in order, at most `max`). */
export function countWithCulprits(text: string, max = 8): Segments & { notGsm: string[] } {
  const message = new SegmentedMessage(text, 'auto', false);
  const notGsm = message.encodingName === 'UCS-2' ? [...new Set(message.getNonGsmCharacters())].slice(0, max) : [];
  return { ...count(message), notGsm };
}
