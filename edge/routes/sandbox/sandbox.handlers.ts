import type { Context } from 'hono';
import type { Op, OpParams, OpResult } from '../../../adapters/protocol.ts';
import { getDb } from '../../db/client.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { command } from '../../services/bridge-commands.ts';
import { findOwnClient } from '../../services/clients.ts';
import { callRoute, inboundRoute, outboxRoute, pairRoute, reactRoute, scanRoute } from './sandbox.routes.ts';

async function control<O extends Op>(c: Context<AppEnv>, clientId: string, op: O, params: OpParams<O>): Promise<OpResult<O>> {
  if ((c.env.WA_TRANSPORT ?? 'sandbox') !== 'sandbox') throw new ApiError(404, 'NOT_FOUND', 'Sandbox routes exist only with WA_TRANSPORT=sandbox');
  const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), clientId);
  return command(c.env, client.id, op, params);
}

export const sandboxRouter = createRouter()
  .openapi(scanRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.scan', {}), 200))
  .openapi(pairRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.pair', c.req.valid('json')), 200))
  .openapi(inboundRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.inbound', c.req.valid('json')), 200))
  .openapi(callRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.call', c.req.valid('json')), 200))
  .openapi(reactRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.react', c.req.valid('json')), 200))
  .openapi(outboxRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.outbox', {}), 200));
