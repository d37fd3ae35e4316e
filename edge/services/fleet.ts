// The fleet as D1 sees it: which bridges have a live link (and may be given clients), how many clients
// each holds (the lease mirror each ClientHub writes), and which clients no bridge holds. Leases are
// granted by the clients' hubs (services/lease-keeper.ts); bridges' links report here (objects/bridge-link.ts).
import { HEARTBEAT_MS, type HeldSession } from '../../adapters/protocol.ts';
import type { Bindings } from '../env.ts';

/** A link's life is written every HEARTBEAT_MS: one not heard of for three of those is not counted live. */
export const LIVE_WITHIN_MS = 3 * HEARTBEAT_MS;

export interface FleetBridge {
  bridgeId: string;
  /** its link is open and showed life within LIVE_WITHIN_MS (its leases last longer: LEASE_MS) */
  live: boolean;
  draining: boolean;
  seenAt: number;
  transport: string | null;
  version: string | null;
  clientRefs: number[];
}

/** A bridge's link opened (hello) or showed life: it may be given clients again (a hello ends a drain). */
export async function linkSeen(env: Bindings, bridgeId: string, at: number, hello?: { transport: string; version: string | null }): Promise<void> {
  if (hello) {
    await env.DB.prepare(
      `INSERT INTO bridge_links (bridge_id, seen_at, closed_at, draining_at, transport, version) VALUES (?1, ?2, NULL, NULL, ?3, ?4)
       ON CONFLICT (bridge_id) DO UPDATE SET seen_at = ?2, closed_at = NULL, draining_at = NULL, transport = ?3, version = ?4`,
    )
      .bind(bridgeId, at, hello.transport, hello.version)
      .run();
  } else {
    await env.DB.prepare('UPDATE bridge_links SET seen_at = max(seen_at, ?2) WHERE bridge_id = ?1').bind(bridgeId, at).run();
  }
}

/** Its link closed: no new clients go to it (those it holds wait out LEASE_MS before they move). */
export async function linkClosed(env: Bindings, bridgeId: string, at: number): Promise<void> {
  await env.DB.prepare('UPDATE bridge_links SET closed_at = ?2 WHERE bridge_id = ?1').bind(bridgeId, at).run();
}

export async function linkDraining(env: Bindings, bridgeId: string, at: number): Promise<void> {
  await env.DB.prepare('UPDATE bridge_links SET draining_at = ?2 WHERE bridge_id = ?1').bind(bridgeId, at).run();
}

/** Every bridge that ever linked, with the clients it holds. */
export async function fleet(env: Bindings, now = Date.now()): Promise<FleetBridge[]> {
  const [links, leases] = await env.DB.batch([
    env.DB.prepare(
      `SELECT l.bridge_id, l.seen_at, l.closed_at, l.draining_at, l.transport, l.version, b.revoked_at
       FROM bridge_links l LEFT JOIN bridges b ON b.bridge_id = l.bridge_id ORDER BY l.bridge_id`,
    ),
    env.DB.prepare('SELECT client_ref, bridge_id FROM client_leases ORDER BY client_ref'),
  ]);
  const held = new Map<string, number[]>();
  for (const r of (leases?.results ?? []) as { client_ref: number; bridge_id: string }[])
    held.set(r.bridge_id, [...(held.get(r.bridge_id) ?? []), r.client_ref]);
  return ((links?.results ?? []) as Record<string, unknown>[]).map((r) => ({
    bridgeId: String(r.bridge_id),
    live: r.closed_at === null && r.revoked_at === null && now - Number(r.seen_at) < LIVE_WITHIN_MS,
    draining: r.draining_at !== null,
    seenAt: Number(r.seen_at),
    transport: (r.transport as string | null) ?? null,
    version: (r.version as string | null) ?? null,
    clientRefs: held.get(String(r.bridge_id)) ?? [],
  }));
}

/**
 * The live, not draining bridges other than `exclude`, fewest clients first (ties: by id), at most `limit`:
 * one query, counted by index. Live as D1 knows it: the lease keeper asks each link before it grants.
 */
export async function pickBridges(env: Bindings, exclude?: string, limit = 3, now = Date.now()): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT l.bridge_id FROM bridge_links l JOIN bridges b ON b.bridge_id = l.bridge_id AND b.revoked_at IS NULL
     WHERE l.closed_at IS NULL AND l.draining_at IS NULL AND l.seen_at > ?1 AND l.bridge_id != ?2
     ORDER BY (SELECT count(*) FROM client_leases c WHERE c.bridge_id = l.bridge_id), l.bridge_id LIMIT ?3`,
  )
    .bind(now - LIVE_WITHIN_MS, exclude ?? '', limit)
    .all<{ bridge_id: string }>();
  return results.map((r) => r.bridge_id);
}

/** The lease mirror: written by the client's hub when it grants or ends a lease. */
export async function mirrorLease(env: Bindings, clientRef: number, lease: { bridgeId: string; epoch: number; grantedAt: number } | null): Promise<void> {
  if (!lease) {
    await env.DB.prepare('DELETE FROM client_leases WHERE client_ref = ?').bind(clientRef).run();
    return;
  }
  // a client deleted meanwhile has no row to hold (the foreign key): nothing to mirror
  await env.DB.prepare(
    `INSERT INTO client_leases (client_ref, bridge_id, epoch, granted_at) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM clients WHERE id = ?1)
     ON CONFLICT (client_ref) DO UPDATE SET bridge_id = ?2, epoch = ?3, granted_at = ?4`,
  )
    .bind(clientRef, lease.bridgeId, lease.epoch, lease.grantedAt)
    .run();
}

/** The clients a bridge holds according to the mirror, with their epochs (a link checks its own record against it at hello). */
export async function leasesOf(env: Bindings, bridgeId: string): Promise<Map<number, number>> {
  const { results } = await env.DB.prepare('SELECT client_ref, epoch FROM client_leases WHERE bridge_id = ?')
    .bind(bridgeId)
    .all<{ client_ref: number; epoch: number }>();
  return new Map(results.map((r) => [r.client_ref, r.epoch]));
}

/** Clients that are not logged out and that no bridge holds, a page at a time (ids above `after`). */
export async function unheldClients(env: Bindings, after = 0, limit = 500): Promise<number[]> {
  const { results } = await env.DB.prepare(
    `SELECT c.id FROM clients c LEFT JOIN client_leases l ON l.client_ref = c.id
     WHERE l.client_ref IS NULL AND c.status != 'logged_out' AND c.id > ? ORDER BY c.id LIMIT ${Math.max(1, Math.floor(limit))}`,
  )
    .bind(after)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

/** The sessions a bridge holds, as its welcome names them (auth state stays on the bridge that holds them). */
export async function heldSessions(env: Bindings, held: Map<number, number>): Promise<HeldSession[]> {
  if (!held.size) return [];
  const { results } = await env.DB.prepare('SELECT id, client_id, phone_number FROM clients WHERE id IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify([...held.keys()]))
    .all<{ id: number; client_id: string; phone_number: string }>();
  return results.map((r) => ({ clientRef: r.id, clientId: r.client_id, phoneNumber: r.phone_number, epoch: held.get(r.id)! }));
}
