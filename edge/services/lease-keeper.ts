// A client's lease, kept by its ClientHub: which bridge holds the number and at which fencing epoch.
// The hub is the only writer: it grants a lease to the least loaded live bridge when the client needs
// one, moves it (the old bridge confirms its socket is closed before the new one is told), and takes it
// back when the holder's link has been silent for LEASE_MS (objects/bridge-link.ts says so). Every grant
// raises the epoch; commands carry it, and a bridge or link that holds another epoch refuses them.
// Leases are granted one at a time per client (a chain), so two callers never grant two.
import type { AuthEntry, HeldSession, Op, RawBridgeResult } from '../../adapters/protocol.ts';
import { getDb } from '../db/client.ts';
import type { Bindings } from '../env.ts';
import type { WatchState } from '../objects/contracts.ts';
import type { AuthStore } from './auth-store.ts';
import { linkedNow, linkOf } from './bridge-commands.ts';
import { clientByRef } from './clients.ts';
import { mirrorLease, pickBridges } from './fleet.ts';

export interface Lease {
  bridgeId: string;
  epoch: number;
  grantedAt: number;
}

export type MoveResult = 'moved' | 'released' | 'kept' | 'none' | 'failed';

const UNAVAILABLE: RawBridgeResult = { ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'No bridge is connected to hold this WhatsApp session' };

export class LeaseKeeper {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly env: Bindings;
  private readonly storage: DurableObjectStorage;
  private readonly auth: AuthStore;
  /** whether someone watches the client's live socket (its link pushes live frames only then), read now */
  private readonly watched: () => WatchState;

  constructor(env: Bindings, storage: DurableObjectStorage, auth: AuthStore, watched: () => WatchState) {
    this.env = env;
    this.storage = storage;
    this.auth = auth;
    this.watched = watched;
  }

  /** Runs `work` after every earlier lease change of this client. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  current(): Promise<Lease | null> {
    return this.storage.get<Lease>('lease').then((l) => l ?? null);
  }

  /** The epoch a command or event must carry (0: none held). */
  async epoch(): Promise<number> {
    return (await this.current())?.epoch ?? 0;
  }

  /** The client's lease; without one, a grant to the least loaded live bridge (null: no bridge can take it). */
  ensure(clientRef: number, exclude?: string): Promise<Lease | null> {
    return this.serial(async () => (await this.current()) ?? this.grant(clientRef, exclude));
  }

  /** The least loaded bridge whose link is open now (D1 counts a link gone at a runtime restart live for a while). */
  private async pick(exclude?: string): Promise<string | null> {
    for (const bridgeId of await pickBridges(this.env, exclude)) if (await linkedNow(this.env, bridgeId, true)) return bridgeId;
    return null;
  }

  private async grant(clientRef: number, exclude?: string, to?: string): Promise<Lease | null> {
    const bridgeId = to ?? (await this.pick(exclude));
    if (!bridgeId) return null;
    const client = await clientByRef(getDb(this.env.DB), clientRef);
    if (!client) return null;
    const epoch = ((await this.storage.get<number>('epoch')) ?? 0) + 1;
    const lease: Lease = { bridgeId, epoch, grantedAt: Date.now() };
    // durable here first: whatever happens next, no later grant reuses this epoch
    await this.storage.put({ lease, epoch });
    await mirrorLease(this.env, clientRef, lease);
    await this.tell(clientRef, lease, client);
    return lease;
  }

  /** Tells the holder's link and bridge about the lease, with the auth state the number resumes with. */
  private async tell(clientRef: number, lease: Lease, client?: { clientId: string; phoneNumber: string } | null): Promise<RawBridgeResult> {
    const row = client ?? (await clientByRef(getDb(this.env.DB), clientRef));
    if (!row) return { ok: false, code: 'CLIENT_NOT_FOUND', message: 'The client is gone' };
    const session: HeldSession = { clientRef, clientId: row.clientId, phoneNumber: row.phoneNumber, epoch: lease.epoch, auth: this.auth.all() };
    return linkOf(this.env, lease.bridgeId).assign(session, this.watched());
  }

  /**
   * Asks the bridge holding the client (granting a lease first if none is held). A bridge that lost its
   * lease record (it restarted between the grant and now) is told again, once, and asked again.
   */
  async request(clientRef: number, op: Op, params: Record<string, unknown>, retried = false): Promise<RawBridgeResult> {
    const lease = await this.ensure(clientRef);
    if (!lease) return UNAVAILABLE;
    const link = linkOf(this.env, lease.bridgeId);
    const raw = await link.request(clientRef, lease.epoch, op, params);
    if (raw.ok || raw.code !== 'NOT_HOLDER' || retried) return raw;
    // told again only while this is still the lease (in the chain, so no move or expiry runs meanwhile);
    // if it moved meanwhile, the command goes once more, to the new holder
    const again = await this.serial(async () => {
      const now = await this.current();
      if (now?.bridgeId !== lease.bridgeId || now.epoch !== lease.epoch) return 'moved' as const;
      return (await this.tell(clientRef, lease)).ok ? ('told' as const) : ('failed' as const);
    });
    return again === 'failed' ? raw : this.request(clientRef, op, params, true);
  }

  /** Tells the holder again (a grant whose telling failed half-way): the link and the bridge take a repeat as a no-op. */
  reassert(clientRef: number): Promise<boolean> {
    return this.serial(async () => {
      const lease = await this.current();
      if (!lease) return false;
      await mirrorLease(this.env, clientRef, lease);
      return (await this.tell(clientRef, lease)).ok;
    });
  }

  /**
   * Moves the lease to `to` (any other live bridge when not given; none: it is only released). The old
   * bridge must confirm that it closed the session before the new one is told: a number never has two sockets.
   */
  move(clientRef: number, to?: string): Promise<MoveResult> {
    return this.serial(async () => {
      const lease = await this.current();
      if (!lease) return 'none';
      if (to === lease.bridgeId) return 'kept';
      const target = to ?? (await this.pick(lease.bridgeId));
      if (!(await linkOf(this.env, lease.bridgeId).release(clientRef, lease.epoch))) return 'failed';
      await this.end(clientRef);
      if (!target) return 'released';
      return (await this.grant(clientRef, lease.bridgeId, target)) ? 'moved' : 'released';
    });
  }

  /**
   * The holder's link was silent for LEASE_MS (the bridge stopped its sessions by then, or died): the
   * lease ends and, when a live bridge exists, is granted to it. Answers the new lease, if any.
   */
  lost(clientRef: number, bridgeId: string, epoch: number): Promise<Lease | null> {
    return this.serial(async () => {
      const lease = await this.current();
      if (!lease || lease.bridgeId !== bridgeId || lease.epoch !== epoch) return lease;
      await this.end(clientRef);
      return this.grant(clientRef, bridgeId);
    });
  }

  /** The client is deleted: its holder lets it go (best effort) and the lease ends. */
  forget(clientRef: number): Promise<void> {
    return this.serial(async () => {
      const lease = await this.current();
      if (!lease) return;
      await linkOf(this.env, lease.bridgeId)
        .release(clientRef, lease.epoch)
        .catch(() => false);
      await this.end(clientRef);
    });
  }

  private async end(clientRef: number): Promise<void> {
    await this.storage.delete('lease');
    await mirrorLease(this.env, clientRef, null);
  }

  /** Auth writes count only from the current holder. */
  async storeAuth(epoch: number, entries: AuthEntry[]): Promise<boolean> {
    if (epoch === 0 || epoch !== (await this.epoch())) return false;
    try {
      this.auth.apply(entries);
    } catch (err) {
      // over the bound: refused (and said), never an exception that would hold back the client's later events
      console.error('auth state refused', err);
      return false;
    }
    return true;
  }
}
