import { createRouter } from '../../lib/router.ts';
import { healthRoute } from './health.routes.ts';

export const healthRouter = createRouter().openapi(healthRoute, async (c) => {
  const link = await c.env.BRIDGE_LINK.getByName('main').status();
  return c.json({ status: 'ok' as const, bridge: link.connected ? ('connected' as const) : ('disconnected' as const) }, 200);
});
