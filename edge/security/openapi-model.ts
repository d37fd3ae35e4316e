// The app's own OpenAPI document as the security suites read it: operations with their security,
// parameters and (dereferenced) body schemas, and a valid sample of a schema. Pure: no requests here,
// so new routes reach both suites without a line changed.

export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

interface RawOperation {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses?: Record<string, unknown>;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

export type SecurityScheme = 'ApiKeyAuth' | 'SessionCookie' | 'DeviceSecret' | (string & {});

export interface Operation {
  /** `METHOD /path/{param}` */
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  /** alternatives: any one of these schemes authenticates; empty = public */
  security: SecurityScheme[];
  params: Parameter[];
  body?: { required: boolean; contentTypes: string[]; schema: Schema };
  /** documented response statuses */
  responses: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `#/components/schemas/X` references replaced by their schema (the document has no cycles). */
export function deref(doc: OpenApiDoc, schema: Schema | undefined, depth = 0): Schema {
  if (!schema) return {};
  if (depth > 20) return schema;
  let s = schema;
  if (s.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${s.$ref}`);
    s = target;
  }
  const out: Schema = { ...s };
  delete out.$ref;
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, deref(doc, v, depth + 1)]));
  if (s.items) out.items = deref(doc, s.items, depth + 1);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) if (s[key]) out[key] = s[key].map((x) => deref(doc, x, depth + 1));
  return out;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const content = raw.requestBody?.content ?? {};
      const contentTypes = Object.keys(content);
      const json = content['application/json'] ?? Object.values(content)[0];
      ops.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        summary: raw.summary ?? '',
        description: raw.description ?? '',
        security: (raw.security ?? []).flatMap((alt) => Object.keys(alt)),
        params: (raw.parameters ?? []).map((p) => ({ ...p, schema: deref(doc, p.schema) })),
        body: raw.requestBody ? { required: raw.requestBody.required ?? false, contentTypes, schema: deref(doc, json?.schema) } : undefined,
        responses: Object.keys(raw.responses ?? {}),
      });
    }
  }
  return ops;
}

export const pathParams = (op: Operation) => op.params.filter((p) => p.in === 'path');
export const queryParams = (op: Operation) => op.params.filter((p) => p.in === 'query');
export const headerParams = (op: Operation) => op.params.filter((p) => p.in === 'header');
export const bodyProps = (op: Operation): Record<string, Schema> => op.body?.schema.properties ?? {};

export const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** A valid value for a schema: its example, default or first enum value, else the simplest of its type. */
export function sampleOf(s: Schema, overrides: Record<string, unknown> = {}): unknown {
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum?.length) return s.enum[0];
  const alt = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (alt) return sampleOf(alt, overrides);
  const types = typesOf(s);
  if (types.includes('object') || s.properties) return objectSample(s, overrides);
  if (types.includes('array')) return [];
  if (types.includes('integer') || types.includes('number')) return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
  if (types.includes('boolean')) return true;
  if (types.includes('null') && types.length === 1) return null;
  return 'probe'.padEnd(Math.max(5, s.minLength ?? 0), 'x');
}

/** The required properties (and every property named in `overrides`), valid, with `overrides` winning. */
export function objectSample(s: Schema, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    if (name in overrides) {
      if (overrides[name] !== undefined) out[name] = overrides[name];
    } else if (s.required?.includes(name)) out[name] = sampleOf(prop);
  }
  return out;
}

/** The path with its `{param}`s replaced (values are inserted as given: encode them first if needed). */
export const fillPath = (path: string, values: Record<string, string>) => path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? `{${name}}`);
