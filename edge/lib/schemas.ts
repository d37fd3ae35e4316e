// Field schemas shared by several areas; the OpenAPI document takes its words from here.
import { z } from '@hono/zod-openapi';

export const UsernameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'username: 3-64 letters, digits or _ . @ -')
  .openapi({ example: 'alice' });

export const PasswordSchema = z.string().min(8, 'password: at least 8 characters').max(256).openapi({ example: 'correct horse battery' });

export const ClientIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'clientId: 1-64 letters, digits, _ or -')
  .openapi({ example: 'client-id' });

/** E.164 digits; a leading + is accepted and dropped. */
export const PhoneNumberSchema = z
  .string()
  .trim()
  .regex(/^\+?\d{7,15}$/, 'phone number: 7-15 digits with country code, optional leading +')
  .transform((s) => s.replace(/^\+/, ''))
  .openapi({ example: '12345678901', type: 'string' });

export const BridgeIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'bridgeId: 1-64 letters, digits, _ . or -')
  .openapi({ example: 'bridge-1' });

/** The `{clientId}` path parameter. */
export const ClientParamsSchema = z.object({ clientId: ClientIdSchema.openapi({ param: { name: 'clientId', in: 'path' } }) });

/**
 * A recipient: digits with country code, `+` optional; a `@c.us` chat id is accepted too, and a contact's
 * LID (`<digits>@lid`) for contacts WhatsApp reported by LID only (events carry it as `from`).
 */
export const RecipientSchema = z
  .string()
  .trim()
  .regex(/^(\+?\d{7,15}(@c\.us)?|\d{6,20}@lid)$/, "number: 7-15 digits with country code, optional leading + (or a contact's <digits>@lid)")
  .transform((s) => s.replace(/^\+/, '').replace(/@c\.us$/, ''))
  .openapi({ example: '12345678901', type: 'string' });

/** An `{id}` path parameter: a positive integer row id. */
export const IdParamsSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 12 }),
});

export const MessageSchema = z.object({ message: z.string() });
export const SuccessSchema = z.object({ success: z.literal(true), message: z.string() }).openapi('Success');

export const ApiKeySecurity = [{ ApiKeyAuth: [] }];
export const SessionSecurity = [{ SessionCookie: [] }];
/** An API key, or the dashboard's login (the account's owner, like the account key). */
export const KeyOrSessionSecurity = [...ApiKeySecurity, ...SessionSecurity];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
