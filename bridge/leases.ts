// The leases this bridge holds: which clients, at which fencing epoch. The edge grants them (`assign`,
// and the welcome after every hello) and ends them (`release`). A request or event of another epoch is
// not this bridge's to act on. Held in memory only: after a restart, the welcome says what is held.
import { SessionError } from './transports/transport.ts';

export class Leases {
  private readonly held = new Map<number, number>();

  epochOf(clientRef: number): number {
    return this.held.get(clientRef) ?? 0;
  }

  /** Takes a lease; one older than the lease held is refused (a late message from before a move). */
  grant(clientRef: number, epoch: number): void {
    const now = this.held.get(clientRef);
    if (now !== undefined && now > epoch) throw new SessionError('NOT_HOLDER', `client ${clientRef} is held at a newer lease (${now} > ${epoch})`);
    this.held.set(clientRef, epoch);
  }

  end(clientRef: number): void {
    this.held.delete(clientRef);
  }

  /** Exactly these, from the welcome. */
  replace(leases: { clientRef: number; epoch: number }[]): void {
    this.held.clear();
    for (const l of leases) this.held.set(l.clientRef, l.epoch);
  }

  clear(): void {
    this.held.clear();
  }

  get size(): number {
    return this.held.size;
  }

  /** A request must carry the epoch this bridge holds the client at. */
  check(clientRef: number, epoch: number): void {
    const now = this.held.get(clientRef);
    if (now !== epoch) throw new SessionError('NOT_HOLDER', `This bridge does not hold client ${clientRef} at lease ${epoch}`);
  }
}
