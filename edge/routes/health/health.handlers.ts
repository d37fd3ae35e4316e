import { createRouter } from '../../lib/router.ts';
import { healthRoute } from './health.routes.ts';

// The bridge link arrives with the bridge issue; until then no bridge is ever connected.
export const healthRouter = createRouter().openapi(healthRoute, (c) => c.json({ status: 'ok' as const, bridge: 'disconnected' as const }, 200));
