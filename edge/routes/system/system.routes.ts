import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../../lib/errors.ts';

const BridgeState = z.enum(['connected', 'disconnected']);
export const HealthSchema = z.object({ status: z.literal('ok'), bridge: BridgeState }).openapi('Health');

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['System'],
  summary: 'Readiness, and whether a bridge is linked',
  description: '200 once the database is migrated and the admin account exists (so the admin key works); 503 `NOT_READY` before that.',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } },
    ...errorResponses(503),
  },
});
