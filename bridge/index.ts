// The bridge's composition root: SQLite, the event queue, sessions over the chosen transport, and the link.
//   EDGE_URL (http://127.0.0.1:8787)  BRIDGE_TOKEN (this bridge's credential: POST /api/admin/bridges)  STATE_DIR (.data)
//   WA_TRANSPORT (sandbox|baileys)  BRIDGE_ID (bridge-1)  ALLOW_PRIVATE_WEBHOOK_URLS (false)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionSpec } from '../adapters/protocol.ts';
import type { TransportName } from '../adapters/vocabulary.ts';
import { openBridgeDb } from './db.ts';
import { Link } from './link.ts';
import { commandHandlers, runRequest } from './commands.ts';
import { EventQueue } from './event-queue.ts';
import { sealerFromKeyFile } from './seal.ts';
import { Sessions } from './sessions.ts';

/** This bridge's version (package.json), told the edge in its hello. */
const VERSION = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }).version;
import { baileysTransport } from './transports/baileys/baileys-transport.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';

export interface BridgeConfig {
  edgeUrl: string;
  token: string;
  stateDir: string;
  transport: TransportName;
  bridgeId: string;
  allowPrivate: boolean;
  /** the sandbox's simulated reach-out limit (new contacts a day; SANDBOX_REACH_OUT_LIMIT, default none) */
  sandboxReachOutLimit?: number;
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
    sandboxReachOutLimit: env.SANDBOX_REACH_OUT_LIMIT ? Number(env.SANDBOX_REACH_OUT_LIMIT) : undefined,
  };
}

export function startBridge(config: BridgeConfig) {
  const db = openBridgeDb(join(config.stateDir, `bridge-${config.bridgeId}.sqlite`));
  const events = new EventQueue(db);
  const factory =
    config.transport === 'sandbox'
      ? sandboxTransport(db, { allowPrivateMedia: config.allowPrivate, reachOutLimit: config.sandboxReachOutLimit })
      : baileysTransport(db, { sealer: sealerFromKeyFile(join(config.stateDir, `bridge-${config.bridgeId}.key`), process.env.BRIDGE_SEAL_KEY) });
  const sessions = new Sessions({ factory, emit: (clientRef, event) => events.add(clientRef, event), allowPrivateMedia: config.allowPrivate, db });
  const specs = new Map<number, SessionSpec>();
  const handlers = commandHandlers(sessions, specs);
  const link = new Link({
    url: `${config.edgeUrl.replace(/^http/, 'ws')}/internal/bridge/connect`,
    token: config.token,
    bridgeId: config.bridgeId,
    transport: config.transport,
    version: VERSION,
    events,
    sessions: () => sessions.size,
    onWelcome: (frame) => {
      for (const s of frame.sessions) specs.set(s.clientRef, s);
      void sessions.reconcile(frame.sessions);
    },
    onRequest: (frame) => runRequest(handlers, frame),
  });
  link.start();
  const prune = setInterval(() => db.prepare('DELETE FROM send_keys WHERE at < ?').run(Date.now() - 7 * 86_400_000), 3_600_000);
  prune.unref();
  return {
    link,
    sessions,
    events,
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
