// How an SMS body is split into segments: GSM-7 (GSM 03.38, an extension-table character takes two septets)
// or UCS-2 once any character falls outside it, counted by Twilio's sms-segments-calculator (pure JS, so it
// runs in the Worker and the bridge alike). No smart encoding: characters are never swapped for GSM look-alikes.
import { z } from '@hono/zod-openapi';
import { SegmentedMessage } from 'sms-segments-calculator';

export const SmsSegmentsSchema = z
  .object({
    encoding: z.enum(['GSM-7', 'UCS-2']).openapi({ description: 'GSM-7 unless a character is outside GSM 03.38, then UCS-2' }),
    segments: z.number().int().min(1).openapi({ description: 'SMS parts the text is sent as (1 for empty text)', example: 2 }),
    characters: z.number().int().min(0).openapi({
      description: 'Encoding units: GSM-7 septets (extension characters such as € count 2) or UCS-2 code units (an emoji counts 2)',
      example: 161,
    }),
    unitsPerSegment: z
      .number()
      .int()
      .openapi({ description: 'Units one part holds: 160 or 153 (GSM-7 single or concatenated), 70 or 67 (UCS-2)', example: 153 }),
  })
  .openapi('SmsSegments');

export type SmsSegments = z.infer<typeof SmsSegmentsSchema>;

const PER_SEGMENT: Record<SmsSegments['encoding'], { single: number; multi: number }> = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

/**
 * How `text` goes out as SMS. A concatenated message gives 6 octets of each part to the user data header, and
 * a character (an extension-table pair, or a whole grapheme such as a joined emoji) is never split across
 * parts, so at a part boundary `segments` can exceed ⌈characters / unitsPerSegment⌉.
 */
export function smsSegments(text: string): SmsSegments {
  const message = new SegmentedMessage(text, 'auto', false);
  const encoding = message.encodingName;
  const characters = message.encodedChars.reduce((sum, c) => sum + c.codeUnits.length, 0);
  const segments = message.segmentsCount;
  const { single, multi } = PER_SEGMENT[encoding];
  return { encoding, segments, characters, unitsPerSegment: segments > 1 ? multi : single };
}
