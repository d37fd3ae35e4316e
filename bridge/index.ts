// The bridge's composition root: SQLite, outbox, sessions over the chosen transport, and the link.
//   EDGE_URL (http://127.0.0.1:8787)  BRIDGE_TOKEN (the Worker's INTERNAL_TOKEN)  STATE_DIR (.data)
//   WA_TRANSPORT (sandbox|baileys)  BRIDGE_ID (bridge-1)  ALLOW_PRIVATE_WEBHOOK_URLS (false)
import { join, resolve } from 'node:path';
import type { SessionSpec } from '../adapters/protocol.ts';
import { openBridgeDb } from './db.ts';
import { Link } from './link.ts';
import { Outbox } from './outbox.ts';
import { Sessions } from './sessions.ts';
import { baileysTransport } from './transports/baileys/baileys-transport.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';
import { SessionError } from './transports/transport.ts';

export interface BridgeConfig {
  edgeUrl: string;
  token: string;
  stateDir: string;
  transport: 'sandbox' | 'baileys';
  bridgeId: string;
  allowPrivate: boolean;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const transport = env.WA_TRANSPORT ?? 'sandbox';
  if (transport !== 'sandbox' && transport !== 'baileys') throw new Error('WA_TRANSPORT must be sandbox or baileys');
  if (!env.BRIDGE_TOKEN) throw new Error('BRIDGE_TOKEN is required');
  return {
    edgeUrl: env.EDGE_URL ?? 'http://127.0.0.1:8787',
    token: env.BRIDGE_TOKEN,
    stateDir: resolve(env.STATE_DIR ?? '.data'),
    transport,
    bridgeId: env.BRIDGE_ID ?? 'bridge-1',
    allowPrivate: env.ALLOW_PRIVATE_WEBHOOK_URLS === 'true',
  };
}

export function startBridge(config: BridgeConfig) {
  const db = openBridgeDb(join(config.stateDir, `bridge-${config.bridgeId}.sqlite`));
  const outbox = new Outbox(db);
  const factory = config.transport === 'sandbox' ? sandboxTransport(db, { allowPrivateMedia: config.allowPrivate }) : baileysTransport(db);
  const sessions = new Sessions({ factory, emit: (clientRef, event) => outbox.add(clientRef, event), allowPrivateMedia: config.allowPrivate, db });
  const specs = new Map<number, SessionSpec>();
  const spec = (clientRef: number, params: Record<string, unknown>): SessionSpec => {
    const known = specs.get(clientRef);
    if (known) return known;
    if (typeof params.clientId !== 'string' || typeof params.phoneNumber !== 'string') throw new SessionError('SESSION_NOT_FOUND', 'Unknown client');
    const s = { clientRef, clientId: params.clientId, phoneNumber: params.phoneNumber };
    specs.set(clientRef, s);
    return s;
  };
  const link = new Link({
    url: `${config.edgeUrl.replace(/^http/, 'ws')}/internal/bridge/connect`,
    token: config.token,
    bridgeId: config.bridgeId,
    transport: config.transport,
    outbox,
    sessions: () => sessions.size,
    onWelcome: (frame) => {
      for (const s of frame.sessions) specs.set(s.clientRef, s);
      void sessions.reconcile(frame.sessions);
    },
    onRequest: async ({ clientRef, op, params }) => {
      switch (op) {
        case 'start':
          return sessions.start(spec(clientRef, params));
        case 'stop':
          return sessions.stop(clientRef);
        case 'logout':
          await sessions.logout(spec(clientRef, params));
          specs.delete(clientRef);
          return { loggedOut: true };
        case 'send':
          return sessions.send(clientRef, params);
        case 'sendBatch':
          return sessions.sendBatch(clientRef, params);
        case 'groups':
          return sessions.groups(clientRef);
        case 'media': {
          const media = await sessions.media(clientRef, String(params.messageId ?? ''));
          return { mimetype: media.mimetype, filename: media.filename, data: Buffer.from(media.data).toString('base64') };
        }
        case 'read':
          return sessions.read(clientRef, String(params.chatId ?? ''), Array.isArray(params.messageIds) ? params.messageIds.map(String) : []);
        default:
          return sessions.control(clientRef, op, params);
      }
    },
  });
  link.start();
  const prune = setInterval(() => db.prepare('DELETE FROM sent_keys WHERE at < ?').run(Date.now() - 7 * 86_400_000), 3_600_000);
  prune.unref();
  return {
    link,
    sessions,
    outbox,
    async stop() {
      clearInterval(prune);
      await link.stop();
      await sessions.stopAll();
      db.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bridge = startBridge(configFromEnv());
  const shutdown = async () => {
    await bridge.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
