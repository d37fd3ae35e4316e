import type { Context } from 'hono';
import type { Op, OpParams, OpResult } from '../../../adapters/protocol.ts';
import { getDb } from '../../db/client.ts';
import { type AppEnv, isSandbox } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { command } from '../../services/bridge-commands.ts';
import { findOwnClient } from '../../services/clients.ts';
import { receiveInbound } from '../../services/sandbox-offline.ts';
import { callRoute, inboundRoute, outboxRoute, pairRoute, reactRoute, scanRoute } from './sandbox.routes.ts';

/** The caller's client, when the bridge runs the sandbox transport. */
async function sandboxClient(c: Context<AppEnv>, clientId: string) {
  if (!isSandbox(c.env)) throw new ApiError(404, 'NOT_FOUND', 'Sandbox routes exist only with WA_TRANSPORT=sandbox');
  return findOwnClient(getDb(c.env.DB), c.get('auth'), clientId);
}

async function control<O extends Op>(c: Context<AppEnv>, clientId: string, op: O, params: OpParams<O>): Promise<OpResult<O>> {
  return command(c.env, (await sandboxClient(c, clientId)).id, op, params);
}

export const sandboxRouter = createRouter()
  .openapi(scanRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.scan', {}), 200))
  .openapi(pairRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.pair', c.req.valid('json')), 200))
  .openapi(inboundRoute, async (c) => {
    // an offline number's messages are held for it (services/sandbox-offline.ts): 202 queued
    const client = await sandboxClient(c, c.req.valid('param').clientId);
    const { queued, messageId, timestamp } = await receiveInbound(c.env, client.id, c.req.valid('json'), (p) => c.executionCtx.waitUntil(p));
    return queued ? c.json({ messageId, timestamp, queued: true as const }, 202) : c.json({ messageId, timestamp }, 200);
  })
  .openapi(callRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.call', c.req.valid('json')), 200))
  .openapi(reactRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.react', c.req.valid('json')), 200))
  .openapi(outboxRoute, async (c) => c.json(await control(c, c.req.valid('param').clientId, 'sandbox.outbox', {}), 200));
