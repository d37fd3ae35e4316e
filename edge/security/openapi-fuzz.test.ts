// OpenAPI-driven fuzz of every operation of GET /openapi.json: fast-check generates malformed requests
// from each operation's parameter and body schemas — wrong types, missing and extra fields, huge
// strings up to and over the 1 MiB body cap, odd Unicode, bad path and query values, bad content types
// and bodies — with valid credentials (so validation runs, not only auth) and without. Whatever comes
// in: never a 5xx, every non-2xx answer is the JSON error {success:false, code, error}, a body over
// 1 MiB is a 413, and every request gets an answer. The seed is fixed and printed with any failure.
import { env, SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFakeBridge, type FakeBridge } from '../test/fake-bridge.ts';
import { ADMIN, addClient, bootstrapAdmin, login, newDevice, newUser, smsPayload } from '../test/helpers.ts';
import { bridgeAnswer, CHANNEL, READ_ONLY_GROUP } from './bridge-answers.ts';
import {
  fillPath,
  headerParams,
  type OpenApiDoc,
  type Operation,
  objectSample,
  operationsOf,
  type Parameter,
  pathParams,
  queryParams,
  type Schema,
  sampleOf,
  typesOf,
} from './openapi-model.ts';

const SEED = 20_261_122;
/** requests in all, shared evenly by the operations (at least 60 each): the run time stays put as routes are added */
const TOTAL_REQUESTS = 6800;
const perOperation = (operations: number) => Math.max(60, Math.ceil(TOTAL_REQUESTS / operations));
const CONCURRENCY = 16;
const ANSWER_WITHIN_MS = 20_000;
const MiB = 1024 * 1024;

const CHAT = '972500000001@c.us';
const MEDIA_MESSAGE = 'FUZZMEDIA0001';

interface Cred {
  key?: string;
  cookie?: string;
  deviceSecret?: string;
}

interface World {
  bridge: FakeBridge;
  user: { username: string; password: string; apiKey: string; cookie: string };
  spareCookie: string;
  client: { clientId: string; clientKey: string };
  gatewayDevice: { deviceId: string; secret: string };
  pathDevice: { deviceId: string };
  scheduledId: number;
  outboxId: number;
}

// ---------------------------------------------------------------------------------------------------
// what a generated request is (descriptors: big bodies are built only when sent)

type BodySpec =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType?: string }
  | { kind: 'raw'; text: string; contentType?: string }
  | { kind: 'bytes'; bytes: number[]; contentType?: string }
  | { kind: 'huge'; bytes: number; unit: 'a' | '𝕏'; asJson: boolean; contentType?: string }
  | { kind: 'stream'; bytes: number; contentType?: string }
  /** the valid template with one extra field that is `depth` nested arrays, or `width` extra fields */
  | { kind: 'deep'; template: Record<string, unknown>; depth: number; contentType?: string }
  | { kind: 'wide'; template: Record<string, unknown>; width: number; form: boolean; contentType?: string };

interface RequestSpec {
  method: string;
  path: Record<string, string>;
  query: string[];
  headers: Record<string, string>;
  cred: Cred;
  body: BodySpec;
}

// ---------------------------------------------------------------------------------------------------
// value pools

const long = (n: number, unit = 'x') => unit.repeat(n);
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202Eevil\u202C',
  '\u200B',
  '\uFEFF',
  '\uD800',
  '\uDFFF',
  'x\uD83D',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  'e\u0301',
  'שלום',
  '𝕏'.repeat(300),
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  '%2F',
  'https://127.0.0.1/',
  'http://[::1]:80/',
  'javascript:alert(1)',
  '2025-13-45T99:99:99Z',
  '9'.repeat(40),
  '-1',
  'NaN',
  'null',
  long(5000),
  long(70_000),
];
const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  {},
  [1, 2, 3],
  { $gt: '' },
  [[[[[[[[[[]]]]]]]]]],
  ...ODD_STRINGS,
];
const ODD_URLS = [
  'http://%zz/',
  'https://a..b/',
  'https://xn--/',
  'http://0x7f.1/',
  'http://2130706433/',
  'http://[::ffff:127.0.0.1]/',
  'https://[::1',
  `https://${'a'.repeat(300)}.com/`,
  'http://例え.テスト/',
  'https://user:pass@example.com/',
  'ftp://example.com/',
  'https://example.com:99999/',
  'https://example.com/%ED%A0%80',
  'https://example.com/a.jpg?x=%zz',
  'https://example.com/x.jpg#\u0000',
  'file:///etc/passwd',
  'data:image/png;base64,AAAA',
  'https://\u202Eexample.com/',
  '//example.com/a.png',
];
const ODD_TIMES = [
  '2026-02-30T10:00:00Z',
  '2027-02-29T10:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '2027-01-01T24:00:00Z',
  '2027-01-01T23:60:00Z',
  '2027-01-01T10:00:00+99:99',
  '2027-01-01T10:00:00.999Z',
  '2027-01-01T10:00:00-23:59',
  '+275760-09-13T00:00:00Z',
  '2027-01-01T10:00:00.1234Z',
];
const ODD_NUMBERS = [
  '+',
  '+1',
  '0000000',
  '+000000000000000',
  '1234567',
  '1234567890123456',
  '+972 50 123 4567',
  '972-50-123',
  '972501234567@c.us',
  '972501234567@g.us',
  '١٢٣٤٥٦٧٨',
];

/** Values aimed at one field: its limits, near-misses of its pattern, and what its name suggests. */
function fieldValues(name: string, s: Schema | undefined): unknown[] {
  const out: unknown[] = [];
  if (s?.maxLength !== undefined) out.push('a'.repeat(s.maxLength), 'a'.repeat(s.maxLength + 1), '𝕏'.repeat(s.maxLength));
  if (s?.minLength) out.push('a'.repeat(s.minLength - 1));
  if (s?.minimum !== undefined) out.push(s.minimum - 1, s.minimum);
  if (s?.maximum !== undefined) out.push(s.maximum, s.maximum + 1);
  if (s?.enum) out.push(...s.enum.map((e) => (typeof e === 'string' ? e.toUpperCase() : e)), `${String(s.enum[0])} `);
  if (/url/i.test(name)) out.push(...ODD_URLS);
  if (/time|date/i.test(name)) out.push(...ODD_TIMES);
  if (/number|phone|from/i.test(name)) out.push(...ODD_NUMBERS);
  return out;
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'extra', 'success', 'userId', 'role', 'isAdmin', 'secret', ''];

const BAD_PATH_VALUES = [
  '',
  '%2F',
  'a%2Fb',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '..',
  '%00',
  'a%00b',
  '%',
  '%ZZ',
  '%ED%A0%80',
  '%C0%AF',
  '%FF%FE',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '-1',
  '0',
  'NaN',
  'Infinity',
  '1e309',
  '9007199254740993',
  '1.5',
  '-0',
  '0x10',
  '%20',
  '+',
  'null',
  '__proto__',
  'constructor',
  '%3Cscript%3E',
  "'%20OR%201%3D1--",
  long(5000),
  long(70_000),
  '9'.repeat(400),
];
const BAD_QUERY_VALUES = [
  '',
  '-1',
  '0',
  'NaN',
  '1e309',
  '1.5',
  '0x10',
  '%00',
  '%ZZ',
  '%',
  '[]',
  '{}',
  'true',
  '9'.repeat(400),
  long(3000),
  '%ED%A0%80',
  '%F0%9F%98%80',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=UTF-16',
  'application/merge-patch+json',
  'text/plain',
  'text/plain;charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/xml',
  'application/octet-stream',
  '',
  '*/*',
  ';;;',
];
const RAW_BODIES = [
  '',
  ' ',
  'null',
  'true',
  '0',
  '"a string"',
  '[]',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  'NaN',
  '\uFEFF{}',
  '['.repeat(20_000),
  '{"a":'.repeat(5000),
  `[${'1,'.repeat(100_000)}1]`,
  '\u0000',
  'clientId=x&phoneNumber=1',
  'type=sms&data[phone]=%2B1&data[message]=x&data[id]=1&data[id][x]=2',
  'type=sms&data[phone][][][]=1&data=2&data[=3',
  'type=sms&data[__proto__][polluted]=1&data[constructor][prototype][polluted]=1&__proto__[polluted]=1&data[phone]=1&data[message]=x',
  '<xml/>',
  '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n',
];
const INVALID_UTF8 = [
  [0xff, 0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d], // {"a":"\xff"}
  [0xef, 0xbb, 0xbf, 0x7b, 0x7d], // BOM + {}
];
const HUGE_SIZES = [64 * 1024, MiB - 64, MiB, MiB + 1, 2 * MiB];

// ---------------------------------------------------------------------------------------------------
// arbitraries from the document

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Percent-encoded; a lone surrogate (which has no UTF-8) becomes its raw CESU bytes, as a broken client would send. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${encodeURIComponent(s.replace(LONE_SURROGATE, ''))}%ED%A0%80`;
  }
};

/** A value that matches the schema but names nothing that exists (or simply a well-formed one). */
function wellFormed(s: Schema): fc.Arbitrary<string> {
  if (s.enum?.length) return fc.constantFrom(...s.enum.map(String));
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  if (typesOf(s).includes('integer') || typesOf(s).includes('number')) return fc.integer({ min: 1, max: 2 ** 31 }).map(String);
  return fc.string({ minLength: s.minLength ?? 1, maxLength: Math.min(s.maxLength ?? 40, 40) });
}

function pathValue(p: Parameter, valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: valid.length ? fc.constantFrom(...valid).map(encode) : wellFormed(p.schema).map(encode) },
    { weight: 2, arbitrary: wellFormed(p.schema).map(encode) },
    { weight: 4, arbitrary: fc.constantFrom(...BAD_PATH_VALUES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(encode) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(encode) },
  );
}

function queryValue(p: Parameter): fc.Arbitrary<string> {
  const valid = sampleOf(p.schema);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(encode(String(valid))) },
    { weight: 2, arbitrary: wellFormed(p.schema).map(encode) },
    { weight: 4, arbitrary: fc.constantFrom(...BAD_QUERY_VALUES) },
    { weight: 1, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(encode) },
  );
}

function queryArb(op: Operation): fc.Arbitrary<string[]> {
  const declared = queryParams(op).map((p) =>
    fc.option(
      queryValue(p).map((v) => `${p.name}=${v}`),
      { nil: undefined, freq: 3 },
    ),
  );
  const extras = fc.option(
    fc.constantFrom(
      'extra=1',
      '%ZZ=1',
      '=',
      '&&&',
      'a[]=1&a[]=2',
      'limit=1&limit=2',
      'secret=sbd_0000000000000000_0000000000000000000000000000000000000000',
      `x=${long(4000)}`,
      '__proto__[admin]=1',
    ),
    { nil: undefined, freq: 4 },
  );
  return fc.tuple(fc.tuple(...declared), extras).map(([d, e]) => [...d, e].filter((x): x is string => x !== undefined));
}

type Mutation = { op: 'delete'; key: string } | { op: 'set'; key: string; value: unknown } | { op: 'whole'; value: unknown };

function oddValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...ODD_VALUES) },
    { weight: 2, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

function mutationArb(schema: Schema | undefined): fc.Arbitrary<Mutation> {
  const props = Object.keys(schema?.properties ?? {});
  const keys = [...props, ...EXTRA_KEYS];
  const aimed = props.flatMap((key) => fieldValues(key, schema?.properties?.[key]).map((value) => ({ op: 'set' as const, key, value })));
  return fc.oneof(
    { weight: aimed.length ? 4 : 0, arbitrary: aimed.length ? fc.constantFrom(...aimed) : fc.constant<Mutation>({ op: 'whole', value: null }) },
    {
      weight: 2,
      arbitrary: props.length ? fc.constantFrom(...props).map((key): Mutation => ({ op: 'delete', key })) : fc.constant<Mutation>({ op: 'whole', value: null }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 12 })), value: oddValue() }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('whole' as const), value: oddValue() }) },
  );
}

function applyMutations(template: Record<string, unknown>, mutations: Mutation[]): unknown {
  let value: unknown = structuredClone(template);
  for (const m of mutations) {
    if (m.op === 'whole') value = m.value;
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      if (m.op === 'delete') delete obj[m.key];
      // an own property even for `__proto__`, so it is serialized as sent by an attacker
      else Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

/** A value as PHP-style form fields: `data[phone]=...`, the way Android gateway apps post. */
function phpForm(value: unknown, prefix = ''): [string, string][] {
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => phpForm(v, prefix ? `${prefix}[${k}]` : k));
  return prefix ? [[prefix, String(value)]] : [];
}

function bodyArb(op: Operation, template: Record<string, unknown>): fc.Arbitrary<BodySpec> {
  const declared = op.body?.contentTypes ?? ['application/json'];
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...declared) },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const form = new URLSearchParams(phpForm(template)).toString();
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc
        .record({ mutations: fc.array(mutationArb(op.body?.schema), { minLength: 1, maxLength: 3 }), contentType })
        .map(({ mutations, contentType }): BodySpec => ({ kind: 'json', value: applyMutations(template, mutations), contentType })),
    },
    { weight: 2, arbitrary: contentType.map((contentType): BodySpec => ({ kind: 'json', value: template, contentType })) },
    {
      weight: 3,
      arbitrary: fc
        .record({ text: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string(), fc.json(), fc.constant(form)), contentType })
        .map((r): BodySpec => ({ kind: 'raw', ...r })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ bytes: fc.oneof(fc.constantFrom(...INVALID_UTF8), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 })), contentType })
        .map((r): BodySpec => ({ kind: 'bytes', ...r })),
    },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
    {
      weight: 1,
      arbitrary: fc
        .record({ bytes: fc.constantFrom(...HUGE_SIZES), unit: fc.constantFrom('a' as const, '𝕏' as const), asJson: fc.boolean(), contentType })
        .map((r): BodySpec => ({ kind: 'huge', ...r })),
    },
    { weight: 1, arbitrary: fc.constantFrom(MiB + 1, 3 * MiB).map((bytes): BodySpec => ({ kind: 'stream', bytes, contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.record({ depth: fc.constantFrom(100, 5000, 100_000), contentType }).map((r): BodySpec => ({ kind: 'deep', template, ...r })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ width: fc.constantFrom(1000, 20_000), form: fc.boolean(), contentType })
        .map((r): BodySpec => ({ kind: 'wide', template, ...r, contentType: r.form ? 'application/x-www-form-urlencoded' : r.contentType })),
    },
  );
}

function credArb(op: Operation, w: World, accountKey: string): fc.Arbitrary<Cred> {
  const valid: Cred[] = [];
  if (op.security.includes('ApiKeyAuth')) valid.push({ key: accountKey }, { key: w.client.clientKey }, { key: ADMIN.apiKey });
  if (op.security.includes('SessionCookie')) valid.push({ cookie: w.user.cookie }, { cookie: `${w.user.cookie}; sb_session=garbage` });
  if (op.security.includes('DeviceSecret')) valid.push({ deviceSecret: w.gatewayDevice.secret });
  const invalid: Cred[] = [
    {},
    { key: `sba_${'0'.repeat(40)}` },
    { key: 'x' },
    { key: long(300) },
    { key: `${accountKey} ${accountKey}` },
    { key: `${accountKey},x` },
    { key: `sbc_${'f'.repeat(40)}` },
    { cookie: 'sb_session=not-a-session' },
    { cookie: `sb_session=${long(3000)}` },
    { cookie: 'sb_session=' },
    { cookie: 'sb_session=%E0%A4%A' },
    { cookie: 'sb_session=%' },
    { cookie: 'sb_session="quoted"' },
    // a second login of the same user: POST /auth/logout may end it, the main one stays
    { cookie: `sb_session=a; ${w.spareCookie}` },
    { cookie: `${w.spareCookie}; sb_session=garbage` },
    { cookie: ';;;=;' },
    { deviceSecret: `sbd_${'0'.repeat(16)}_${'0'.repeat(40)}` },
    { deviceSecret: 'sbd_' },
  ];
  return valid.length
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) })
    : fc.constantFrom(...invalid);
}

function headersArb(op: Operation): fc.Arbitrary<Record<string, string>> {
  const idem = headerParams(op).map((p) =>
    fc.option(
      fc
        .oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), fc.constantFrom('', ' ', long(300), 'k\u00ff', 'idem-1'))
        .map((v) => [p.name, v] as const),
      { nil: undefined },
    ),
  );
  const site = fc.option(
    fc.constantFrom<[string, string]>(
      ['sec-fetch-site', 'cross-site'],
      ['sec-fetch-site', 'same-site'],
      ['origin', 'https://evil.example'],
      ['origin', 'null'],
      ['origin', '%%%'],
      ['accept', 'text/html'],
      ['content-encoding', 'gzip'],
      ['content-encoding', 'br'],
      ['content-encoding', 'deflate, identity'],
      ['transfer-encoding', 'chunked'],
      ['x-http-method-override', 'DELETE'],
    ),
    { nil: undefined, freq: 5 },
  );
  const upgrade = op.responses.includes('101')
    ? fc.option(fc.constant<[string, string]>(['upgrade', 'websocket']), { nil: undefined })
    : fc.constant(undefined);
  return fc
    .tuple(fc.tuple(...idem), site, upgrade)
    .map(([i, s, u]) => Object.fromEntries([...i, s, u].filter((x): x is readonly [string, string] => x !== undefined)));
}

function requestArb(op: Operation, w: World, validPath: Record<string, string[]>, template: Record<string, unknown>): fc.Arbitrary<RequestSpec> {
  const path = fc.record(Object.fromEntries(pathParams(op).map((p) => [p.name, pathValue(p, validPath[p.name] ?? [])])));
  const method = fc.oneof(
    { weight: 24, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
  );
  const body: fc.Arbitrary<BodySpec> = op.body
    ? bodyArb(op, template)
    : op.method === 'GET'
      ? fc.constant({ kind: 'none' })
      : fc.oneof({ weight: 3, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) }, { weight: 1, arbitrary: bodyArb(op, {}) });
  return fc.record({ method, path, query: queryArb(op), headers: headersArb(op), cred: credArb(op, w, w.user.apiKey), body });
}

// ---------------------------------------------------------------------------------------------------
// sending

function bodyOf(spec: BodySpec): { body?: BodyInit; bytes: number; contentType?: string } {
  const enc = new TextEncoder();
  switch (spec.kind) {
    case 'none':
      return { bytes: 0 };
    case 'json': {
      const text = JSON.stringify(spec.value) ?? 'null';
      return { body: text, bytes: enc.encode(text).length, contentType: spec.contentType };
    }
    case 'raw':
      return { body: spec.text, bytes: enc.encode(spec.text).length, contentType: spec.contentType };
    case 'bytes':
      return { body: new Uint8Array(spec.bytes), bytes: spec.bytes.length, contentType: spec.contentType };
    case 'huge': {
      const head = spec.asJson ? '{"message":"' : '';
      const tail = spec.asJson ? '"}' : '';
      const room = spec.bytes - head.length - tail.length;
      const unitBytes = enc.encode(spec.unit).length;
      const text = head + spec.unit.repeat(Math.floor(room / unitBytes)) + 'a'.repeat(room % unitBytes) + tail;
      return { body: text, bytes: enc.encode(text).length, contentType: spec.contentType };
    }
    case 'deep': {
      const base = JSON.stringify(spec.template);
      const nested = '['.repeat(spec.depth) + ']'.repeat(spec.depth);
      const text = base === '{}' ? `{"deep":${nested}}` : `${base.slice(0, -1)},"deep":${nested}}`;
      return { body: text, bytes: text.length, contentType: spec.contentType };
    }
    case 'wide': {
      if (spec.form) {
        const fields = [...phpForm(spec.template), ...Array.from({ length: spec.width }, (_, i): [string, string] => [`data[k${i}]`, 'v'])];
        const text = new URLSearchParams(fields).toString();
        return { body: text, bytes: text.length, contentType: spec.contentType };
      }
      const obj: Record<string, unknown> = { ...spec.template };
      for (let i = 0; i < spec.width; i++) obj[`k${i}`] = i;
      const text = JSON.stringify(obj);
      return { body: text, bytes: text.length, contentType: spec.contentType };
    }
    case 'stream': {
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      let left = spec.bytes;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const n = Math.min(left, chunk.length);
          controller.enqueue(chunk.slice(0, n));
          left -= n;
        },
      });
      return { body: stream, bytes: spec.bytes, contentType: spec.contentType };
    }
  }
}

interface Outcome {
  status: number;
  contentType: string;
  text: string;
  json: any;
  bytesSent: number;
  url: string;
  ms: number;
}

async function fire(op: Operation, spec: RequestSpec, ip: string, { chunkedGet = false } = {}): Promise<Outcome> {
  const query = spec.query.length ? `?${spec.query.join('&')}` : '';
  const url = `http://sb.test${fillPath(op.path, spec.path)}${query}`;
  const headers: Record<string, string> = { 'cf-connecting-ip': ip, ...spec.headers };
  if (spec.cred.key !== undefined) headers['x-api-key'] = spec.cred.key;
  if (spec.cred.cookie !== undefined) headers.cookie = spec.cred.cookie;
  if (spec.cred.deviceSecret !== undefined) headers['x-device-secret'] = spec.cred.deviceSecret;
  const canHaveBody = spec.method !== 'GET' && spec.method !== 'HEAD';
  // a GET or HEAD announcing a chunked body has its own test below: one known failure, not one per operation
  if (!canHaveBody && !chunkedGet) delete headers['transfer-encoding'];
  const { body, bytes, contentType } = canHaveBody ? bodyOf(spec.body) : { body: undefined, bytes: 0, contentType: undefined };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // a long-poll answers within the wait it was asked for, plus the usual time
  const asked = new URL(url).searchParams.get('wait');
  const waitMs = /\/gateway\/android\/outbox$/.test(new URL(url).pathname) && asked && /^\d+$/.test(asked) ? Math.min(30, Number(asked)) * 1000 : 0;
  const within = ANSWER_WITHIN_MS + waitMs;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${within} ms`)), within);
  });
  try {
    return await Promise.race([
      (async () => {
        const res = await SELF.fetch(url, { method: spec.method, headers, body });
        if (res.webSocket) {
          res.webSocket.accept();
          res.webSocket.close(1000, 'fuzz done');
          return { status: res.status, contentType: '', text: '', json: undefined, bytesSent: bytes, url, ms: Date.now() - started };
        }
        const ct = res.headers.get('content-type') ?? '';
        const readable = /json|text|html/.test(ct) || !ct;
        const text = readable ? await res.text() : '';
        if (!readable) await res.arrayBuffer(); // a PNG or other bytes: only the status matters
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, contentType: ct, text, json, bytesSent: bytes, url, ms: Date.now() - started };
      })(),
      timeout,
    ]);
  } catch (err) {
    return { status: -1, contentType: '', text: String(err), json: undefined, bytesSent: bytes, url, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

function problemWith(o: Outcome, spec: RequestSpec): string | undefined {
  if (o.status === -1) return o.text;
  if (o.status >= 500) return '5xx';
  const ok = (o.status >= 200 && o.status < 300) || o.status === 101;
  if (!ok && spec.method !== 'HEAD') {
    if (!o.contentType.startsWith('application/json')) return `non-JSON ${o.status} (${o.contentType || 'no content-type'})`;
    const j = o.json;
    if (!(j && j.success === false && typeof j.code === 'string' && j.code && typeof j.error === 'string')) return `${o.status} without the error shape`;
  }
  if (o.bytesSent > MiB && spec.method !== 'GET' && !(o.status === 413 && o.json?.code === 'PAYLOAD_TOO_LARGE'))
    return `${o.bytesSent}-byte body not refused with 413`;
  return undefined;
}

/** Requests an address may make to one operation before a per-IP limiter would decide instead of validation. */
function perAddressBudget(op: Operation): number {
  const text = `${op.summary} ${op.description}`;
  if (/sensitive|5 (attempts )?per hour/.test(text)) return 4;
  if (/delete limiter|10 per 15 minutes/.test(text)) return 9;
  return 50;
}

/** What sets a failing request apart, so one cause is reported once per operation and distinct causes apart. */
const traitsOf = (op: Operation, spec: RequestSpec) =>
  [
    spec.method === op.method ? spec.method : `${spec.method} instead of ${op.method}`,
    ...Object.keys(spec.headers).filter((h) => h !== 'upgrade'),
    spec.method === 'GET' || spec.method === 'HEAD' ? 'no body' : `${spec.body.kind} body`,
  ].join(', ');

const describeBody = (b: BodySpec) => {
  if (b.kind === 'deep') return `template + ${b.depth} nested arrays (${b.contentType ?? 'no content-type'})`;
  if (b.kind === 'wide') return `template + ${b.width} extra ${b.form ? 'form' : 'JSON'} fields (${b.contentType ?? 'no content-type'})`;
  if (b.kind === 'huge' || b.kind === 'stream')
    return `${b.kind} ${b.bytes} bytes${'unit' in b ? ` of ${b.unit}` : ''} (${b.contentType ?? 'no content-type'})`;
  const text = b.kind === 'json' ? JSON.stringify(b.value) : b.kind === 'raw' ? b.text : b.kind === 'bytes' ? `bytes ${b.bytes.join(',')}` : '';
  return `${b.kind} ${(text ?? '').slice(0, 160)}${b.kind !== 'none' ? ` (${b.contentType ?? 'no content-type'})` : ''}`;
};

// ---------------------------------------------------------------------------------------------------

describe('OpenAPI-driven fuzz of every operation', () => {
  let w: World;
  let ops: Operation[];

  beforeAll(async () => {
    ops = operationsOf((await (await SELF.fetch('http://sb.test/openapi.json')).json()) as OpenApiDoc);
    await bootstrapAdmin();
    const bridge = await connectFakeBridge();
    const fallback = bridge.answer;
    bridge.answer = (frame) => bridgeAnswer(frame) ?? fallback(frame);
    const u = await newUser();
    const client = await addClient(u.apiKey, 'fuzz-client');
    const gatewayDevice = await newDevice(u.apiKey);
    const pathDevice = await newDevice(u.apiKey);
    const ref = (await env.DB.prepare('SELECT c.id FROM clients c JOIN users u ON u.id = c.user_id WHERE u.username = ?')
      .bind(u.username)
      .first<{ id: number }>())!.id;
    const evt = 'evt-fuzz-media-1';
    bridge.ws.send(
      JSON.stringify({
        t: 'event',
        id: evt,
        clientRef: ref,
        at: Date.now(),
        event: {
          kind: 'message',
          messageId: MEDIA_MESSAGE,
          from: '972500000001',
          chatId: CHAT,
          fromMe: false,
          body: 'hi',
          type: 'image',
          timestamp: Date.now(),
          hasMedia: true,
          mimetype: 'image/png',
        },
      }),
    );
    await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes(evt)));
    const scheduled = await SELF.fetch('http://sb.test/api/schedule-message', {
      method: 'POST',
      headers: { 'x-api-key': u.apiKey, 'content-type': 'application/json', 'cf-connecting-ip': '10.99.0.1' },
      body: JSON.stringify({
        clientId: client.clientId,
        number: '972500000002',
        message: 'later',
        scheduleTime: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    });
    const deviceRef = (await env.DB.prepare('SELECT id FROM devices WHERE device_id = ?').bind(gatewayDevice.deviceId).first<{ id: number }>())!.id;
    const outbox = (await env.DB.prepare(`INSERT INTO device_outbox (device_ref, channel, "to", message) VALUES (?, 'sms', '+15550001', 'out') RETURNING id`)
      .bind(deviceRef)
      .first<{ id: number }>())!;
    w = {
      bridge,
      user: { ...u, cookie: await login(u.username, u.password) },
      spareCookie: await login(u.username, u.password),
      client,
      gatewayDevice,
      pathDevice,
      scheduledId: ((await scheduled.json()) as { id: number }).id,
      outboxId: outbox.id,
    };
  }, 60_000);

  afterAll(() => w?.bridge.close());

  // Over HTTP (wrangler dev) workerd drops a GET's body, but a Request built in-process (SELF, a service binding)
  // keeps it, and hono's bodyLimit then rebuilds a GET Request with a body, which throws: a 500 on every route.
  it('answers a GET or HEAD that carries a body (Transfer-Encoding: chunked) with its usual answer, not a 500', async () => {
    const probes: [string, string, Cred][] = [
      ['GET', '/health', {}],
      ['GET', '/api/clients', { key: w.user.apiKey }],
      ['HEAD', '/api/profile', { key: w.user.apiKey }],
      ['GET', '/auth/me', { cookie: w.user.cookie }],
      ['GET', '/api/clients', {}],
    ];
    const answers: string[] = [];
    for (const [method, path, cred] of probes) {
      const spec: RequestSpec = { method, path: {}, query: [], headers: { 'transfer-encoding': 'chunked' }, cred, body: { kind: 'none' } };
      const o = await fire({ ...ops[0]!, path, method }, spec, '10.98.0.1', { chunkedGet: true });
      answers.push(`${method} ${path} → ${o.status} ${o.text.slice(0, 80)}`);
    }
    expect(answers.filter((a) => / → (5\d\d|-1) /.test(a))).toEqual([]);
  });

  it(`answers over 5,000 generated malformed requests, spread over every operation, without a 5xx and always with the JSON error shape (seed ${SEED})`, async () => {
    const validPath: Record<string, string[]> = {
      clientId: [w.client.clientId],
      chatId: [CHAT],
      messageId: [MEDIA_MESSAGE],
      groupId: [READ_ONLY_GROUP, CHANNEL],
      deviceId: [w.pathDevice.deviceId],
      id: [String(w.scheduledId), String(w.outboxId)],
    };
    const overrides: Record<string, unknown> = {
      clientId: w.client.clientId,
      groupId: READ_ONLY_GROUP,
      messageId: MEDIA_MESSAGE,
      number: '972500000009',
      phoneNumber: '972500000010',
      message: 'fuzz',
      scheduleTime: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      webhookUrl: null,
      password: 'not-the-password',
      currentApiKey: `sba_${'1'.repeat(40)}`,
      from: '972500000011',
      emoji: '👍',
      name: 'fuzz device',
      status: 'failed',
      ...smsPayload('fuzz'),
    };

    const started = Date.now();
    const statuses = new Map<number, number>();
    const perOp = new Map<string, { n: number; s400: number; nonAuth: number; ms: number }>();
    const failures = new Map<string, { count: number; example: string }>();
    let total = 0;

    for (const [index, op] of ops.entries()) {
      const template = op.body ? objectSample(op.body.schema, overrides) : {};
      const specs = fc.sample(requestArb(op, w, validPath, template), { seed: SEED + index, numRuns: perOperation(ops.length) });
      const budget = perAddressBudget(op);
      const stats = { n: 0, s400: 0, nonAuth: 0, ms: 0 };
      const opStarted = Date.now();
      perOp.set(op.id, stats);
      let next = 0;
      const worker = async () => {
        while (next < specs.length) {
          const i = next++;
          const spec = specs[i]!;
          const block = Math.floor(i / budget);
          const o = await fire(op, spec, `10.${100 + (index % 150)}.${(block >> 8) & 255}.${block & 255}`);
          total++;
          stats.n++;
          statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
          if (o.status === 400) stats.s400++;
          if (o.status !== 401) stats.nonAuth++;
          const problem = problemWith(o, spec);
          if (problem) {
            const key = `${op.id} → ${problem}${o.json?.code ? ` ${o.json.code}` : ''} [${traitsOf(op, spec)}]`;
            const seen = failures.get(key);
            if (seen) seen.count++;
            else
              failures.set(key, {
                count: 1,
                example:
                  `${spec.method} ${o.url.slice(0, 300)} headers=${JSON.stringify({ ...spec.headers, ...spec.cred }).slice(0, 200)} ` +
                  `body=${spec.method === 'GET' || spec.method === 'HEAD' ? 'none' : describeBody(spec.body)} → ${o.status} ${o.text.slice(0, 300)} (sample ${i} of seed ${SEED + index})`,
              });
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      stats.ms = Date.now() - opStarted;
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: ${total} requests over ${ops.length} operations in ${seconds} s (seed ${SEED}); statuses: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    const slowest = [...perOp]
      .sort(([, a], [, b]) => b.ms - a.ms)
      .slice(0, 5)
      .map(([id, st]) => `${id} ${(st.ms / 1000).toFixed(1)} s`);
    console.log(`slowest operations: ${slowest.join(', ')}`);
    const report = [...failures].map(([k, v]) => `${k} (${v.count}×), e.g. ${v.example}`);
    if (report.length) console.log(`fuzz failures (seed ${SEED}):\n  ${report.join('\n  ')}`);

    expect(total).toBeGreaterThanOrEqual(5000);
    expect(report, `fuzz failures, seed ${SEED}`).toEqual([]);
    // the fuzz got past authentication and into validation on every operation that has inputs
    const noValidation = ops.filter((op) => (op.params.length || op.body) && perOp.get(op.id)!.s400 === 0).map((op) => op.id);
    const neverAuthenticated = ops.filter((op) => op.security.length && perOp.get(op.id)!.nonAuth === 0).map((op) => op.id);
    expect(noValidation, 'operations whose inputs never reached a 400').toEqual([]);
    expect(neverAuthenticated, 'operations never got past authentication').toEqual([]);
  }, 180_000);
});
