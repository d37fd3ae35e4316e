// The bridge's composition root: SQLite, the event queue, sessions over the chosen transport, and the link.
//   EDGE_URL (http://127.0.0.1:8787)  BRIDGE_TOKEN (this bridge's credential: POST /api/admin/bridges)  STATE_DIR (.data)
//   WA_TRANSPORT (sandbox|baileys)  BRIDGE_ID (bridge-1)  ALLOW_PRIVATE_WEBHOOK_URLS (false)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AuthEntry, FENCE_MS, type SessionSpec } from '../adapters/protocol.ts';
import type { TransportName } from '../adapters/vocabulary.ts';
import { openBridgeDb } from './db.ts';
import { Link } from './link.ts';
import { commandHandlers, runRequest } from './commands.ts';
import { EventQueue } from './event-queue.ts';
import { Leases } from './leases.ts';
import { exportAuth, forgetAuth, restoreAuth } from './auth-state.ts';
import { sealerFromKeyFile } from './seal.ts';
import { Sessions } from './sessions.ts';

/** This bridge's version (package.json), told the edge in its hello. */
const VERSION = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }).version;
import { baileysTransport } from './transports/baileys/baileys-transport.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';
import { SandboxNetwork } from './transports/sandbox/network.ts';

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
  // the simulated network is shared by the bridges of this state dir, as WhatsApp's servers are by devices
  const network = config.transport === 'sandbox' ? SandboxNetwork.open(join(config.stateDir, 'sandbox-network.sqlite')) : undefined;
  const factory = network
    ? sandboxTransport(db, { allowPrivateMedia: config.allowPrivate, reachOutLimit: config.sandboxReachOutLimit, network })
    : baileysTransport(db, {
        sealer: sealerFromKeyFile(
          join(config.stateDir, 'bridge-seal.key'),
          process.env.BRIDGE_SEAL_KEY,
          join(config.stateDir, `bridge-${config.bridgeId}.key`),
        ),
      });
  const leases = new Leases();
  const sessions = new Sessions({
    factory,
    // stamped with the lease held when it happened: the edge records it only from the holder
    emit: (clientRef, event) => events.add(clientRef, event, leases.epochOf(clientRef)),
    allowPrivateMedia: config.allowPrivate,
    db,
  });
  const specs = new Map<number, SessionSpec>();
  /** A new lease: the edge's copy of the auth state replaces ours; with none there (paired before leases), ours goes to the edge. */
  const resume = (clientRef: number, entries: AuthEntry[], epoch: number) => {
    if (restoreAuth(db, clientRef, entries)) return;
    const local = exportAuth(db, clientRef);
    for (let i = 0; i < local.length; i += 500) events.add(clientRef, { kind: 'auth', entries: local.slice(i, i + 500) }, epoch);
  };
  const handlers = commandHandlers({ sessions, specs, leases, restoreAuth: resume, forgetAuth: (clientRef) => forgetAuth(db, clientRef) });
  const link = new Link({
    url: `${config.edgeUrl.replace(/^http/, 'ws')}/internal/bridge/connect`,
    token: config.token,
    bridgeId: config.bridgeId,
    transport: config.transport,
    version: VERSION,
    events,
    sessions: () => sessions.size,
    onWelcome: (frame) => {
      leases.replace(frame.sessions);
      for (const { epoch: _epoch, auth: _auth, ...s } of frame.sessions) specs.set(s.clientRef, s);
      void sessions.reconcile(frame.sessions);
    },
    onRequest: (frame) => runRequest(handlers, leases, frame),
    // no word from the edge for FENCE_MS: it may give these numbers to another bridge, so they stop here now
    onFence: async () => {
      const held = sessions.size;
      leases.clear();
      await sessions.stopAll();
      if (held)
        console.error(
          `[bridge] no word from the edge for ${FENCE_MS} ms: stopped ${held} session(s) (the welcome after a reconnect restarts those still held)`,
        );
    },
  });
  link.start();
  const prune = setInterval(() => db.prepare('DELETE FROM send_keys WHERE at < ?').run(Date.now() - 7 * 86_400_000), 3_600_000);
  prune.unref();
  return {
    link,
    sessions,
    events,
    leases,
    /** SIGTERM: the edge moves this bridge's clients to others first (at most `ms`), then it stops */
    async drain(ms = 30_000) {
      const outcome = await link.drain(ms);
      console.log(outcome ? `[bridge] drained: ${outcome.moved} moved, ${outcome.released} released` : '[bridge] drain not confirmed in time; stopping');
      await this.stop();
    },
    async stop() {
      clearInterval(prune);
      await link.stop();
      await sessions.stopAll();
      db.close();
      network?.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bridge = startBridge(configFromEnv());
  const shutdown = (drain: boolean) => async () => {
    await (drain ? bridge.drain() : bridge.stop());
    process.exit(0);
  };
  process.on('SIGINT', shutdown(false));
  // SIGUSR2: memory figures for an operator (and the memory benchmark), after a full collection when run with --expose-gc
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    console.log(JSON.stringify({ memory: process.memoryUsage(), sessions: bridge.sessions.size }));
  });
  // SIGTERM (a deploy, a scale-down): hand the numbers over before exiting
  process.on('SIGTERM', shutdown(true));
}
