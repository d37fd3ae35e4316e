// The rule actions' text templates: `{{ path }}` placeholders filled from the event, nothing else. No code
// runs, no filters, no escapes. Paths: `event` (the event's name), `data.<field>` (a field of that event's
// data), `rule.id`, `rule.name`, `payload` (the whole event as pretty JSON). Any `{{` opens a placeholder
// that must be well formed and closed by `}}`; a lone `}}` is plain text. Rendering is one pass over the
// template, so text that comes from the event (a sender writing `{{rule.id}}`) is never read as a placeholder.
import { z } from '@hono/zod-openapi';
import { EVENT_SCHEMAS, type EventName, type WebhookEvent } from '../../adapters/events.ts';

const PATH = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;

type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'ref'; path: string[]; raw: string; at: number }
  | { kind: 'bad'; raw: string; at: number; why: 'unclosed' | 'syntax' };

/** Splits a template into plain text, placeholders and malformed pieces (`at`: index of the piece's `{{`). */
function scan(text: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    if (open < 0) break;
    if (open > pos) out.push({ kind: 'text', text: text.slice(pos, open) });
    const close = text.indexOf('}}', open + 2);
    // `{{ a {{data.x}}`: the first `{{` is the one left open
    const reopened = text.indexOf('{{', open + 2);
    if (close < 0 || (reopened >= 0 && reopened < close)) {
      out.push({ kind: 'bad', raw: text.slice(open), at: open, why: 'unclosed' });
      return out;
    }
    const raw = text.slice(open, close + 2);
    const m = PATH.exec(text.slice(open + 2, close));
    out.push(m ? { kind: 'ref', path: m[1]!.split('.'), raw, at: open } : { kind: 'bad', raw, at: open, why: 'syntax' });
    pos = close + 2;
  }
  if (pos < text.length) out.push({ kind: 'text', text: text.slice(pos) });
  return out;
}

/** 1-based position in characters (code points, so an emoji before it counts once). */
const position = (text: string, index: number) => [...text.slice(0, index)].length + 1;

const quote = (raw: string) => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 39)}…` : raw);

/** The object shape behind a field schema (through optional / nullable), or null when it is no object. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : null;
}

function dataShape(event: EventName): Record<string, z.ZodType> {
  return objectShape(EVENT_SCHEMAS[event].shape.data as z.ZodType) ?? {};
}

const ROOTS = 'use event, data.<field>, rule.id, rule.name or payload';

/** Why a well-formed path names nothing for this event, or null when it does. */
function checkPath(path: string[], event: EventName): string | null {
  const [root, ...rest] = path;
  const dotted = path.join('.');
  switch (root) {
    case 'event':
    case 'payload':
      return rest.length ? `${root} has no fields (${dotted})` : null;
    case 'rule':
      return rest.length === 1 && (rest[0] === 'id' || rest[0] === 'name') ? null : `unknown ${dotted}: use rule.id or rule.name`;
    case 'data': {
      if (!rest.length) return 'data needs a field, as in data.from (or use payload for the whole event)';
      let shape: Record<string, z.ZodType> | null = dataShape(event);
      for (let i = 0; i < rest.length; i++) {
        const key = rest[i]!;
        const here = ['data', ...rest.slice(0, i)].join('.');
        if (!shape) return `${here} has no fields (${dotted})`;
        const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
        if (!field) return `unknown field ${here}.${key} for ${event} (fields: ${Object.keys(shape).join(', ')})`;
        shape = objectShape(field);
      }
      return null;
    }
    default:
      return `unknown placeholder ${dotted}: ${ROOTS}`;
  }
}

/** Null when `text` is a valid template for `event`, else what is wrong and where (1-based character). */
export function checkTemplate(text: string, event: EventName): string | null {
  for (const seg of scan(text)) {
    if (seg.kind === 'text') continue;
    const at = position(text, seg.at);
    if (seg.kind === 'bad') {
      return seg.why === 'unclosed'
        ? `"{{" at character ${at} is not closed by "}}"`
        : `${quote(seg.raw)} at character ${at} is not a placeholder: write {{ data.field }} (${ROOTS})`;
    }
    const why = checkPath(seg.path, event);
    if (why) return `${quote(seg.raw)} at character ${at}: ${why}`;
  }
  return null;
}

/** The placeholder paths a template uses (well-formed ones, first use order, each once). */
export function placeholders(text: string): string[] {
  const paths = scan(text).flatMap((s) => (s.kind === 'ref' ? [s.path.join('.')] : []));
  return [...new Set(paths)];
}

export interface RenderContext {
  event: WebhookEvent;
  rule: { id: string; name: string };
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function resolve(path: string[], ctx: RenderContext): unknown {
  const [root, ...rest] = path;
  if (root === 'event' && !rest.length) return ctx.event.event;
  if (root === 'payload' && !rest.length) return JSON.stringify(ctx.event, null, 2);
  if (root === 'rule' && rest.length === 1) return rest[0] === 'id' ? ctx.rule.id : rest[0] === 'name' ? ctx.rule.name : undefined;
  if (root !== 'data' || !rest.length) return undefined;
  let value: unknown = ctx.event.data;
  for (const key of rest) {
    // own fields only: `data.constructor` is nothing, not Object's constructor
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Fills a template from the event. Never throws: a placeholder that names nothing (or a missing / null
 * field) becomes '', and a malformed `{{…` (which checkTemplate refuses at save time) is copied as is.
 */
export function renderTemplate(text: string, ctx: RenderContext): string {
  let out = '';
  for (const seg of scan(text)) {
    if (seg.kind === 'text') out += seg.text;
    else if (seg.kind === 'bad') out += seg.raw;
    else out += show(resolve(seg.path, ctx));
  }
  return out;
}
