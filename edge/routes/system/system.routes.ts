import { createRoute, z } from '@hono/zod-openapi';

export const HealthSchema = z.object({ status: z.literal('ok'), bridge: z.enum(['connected', 'disconnected']) }).openapi('Health');

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['System'],
  summary: 'Liveness, and whether a bridge is linked',
  responses: { 200: { description: 'The Worker is serving', content: { 'application/json': { schema: HealthSchema } } } },
});
