// The one error shape: {"success": false, "code": "...", "error": "..."}.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    success: z.literal(false),
    code: z.string().openapi({ example: 'CLIENT_NOT_FOUND' }),
    error: z.string().openapi({ example: 'Client not found' }),
  })
  .openapi('Error');

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 426 | 429 | 500 | 502 | 503;

export class ApiError extends Error {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: ErrorStatus, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const errorBody = (code: string, error: string) => ({ success: false as const, code, error });

/** Codes for statuses raised outside our handlers (Hono's own HTTPExceptions). */
export const codeForStatus = (status: number): string =>
  ({
    400: 'VALIDATION_ERROR',
    401: 'AUTH_ERROR',
    403: 'ACCESS_DENIED',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    429: 'RATE_LIMITED',
  })[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');

const descriptions: Record<ErrorStatus, string> = {
  400: 'Invalid request (`VALIDATION_ERROR` and the route-specific codes)',
  401: 'Missing or invalid credentials (`AUTH_ERROR`)',
  403: 'Not allowed (`ACCESS_DENIED`, `PLAN_LIMIT_EXCEEDED`, ...)',
  404: "Not found — also another user's resource (`CLIENT_NOT_FOUND`, `NOT_FOUND`)",
  409: 'Conflict with existing state',
  413: 'Request body too large',
  415: 'Unsupported content type',
  426: 'A WebSocket upgrade is required',
  429: 'Rate limited (`RATE_LIMITED`); see Retry-After',
  500: 'Internal error',
  502: 'Upstream failure',
  503: 'Service unavailable',
};

/** OpenAPI `responses` entries for the given error statuses, all with the one error shape. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s], content: { 'application/json': { schema: ErrorSchema } } }])) as {
    [K in S]: { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } };
  };
}
