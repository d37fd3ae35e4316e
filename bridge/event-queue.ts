// Events wait here, durably, until the edge acknowledges them: a restart of either side loses nothing,
// and the edge drops repeats by event id.
import { randomUUID } from 'node:crypto';
import type { BridgeEvent, EventFrame } from '../adapters/protocol.ts';
import type { BridgeDb } from './db.ts';

/** A stored frame; one stored before leases existed has epoch 0 (the edge refuses it and the bridge drops it). */
const readFrame = (r: unknown): EventFrame => {
  const frame = JSON.parse((r as { frame: string }).frame) as EventFrame;
  return { ...frame, epoch: frame.epoch ?? 0 };
};

export class EventQueue {
  private readonly db: BridgeDb;
  private listener: ((frame: EventFrame) => void) | undefined;

  constructor(db: BridgeDb) {
    this.db = db;
  }

  /** Called with every new frame (the link sends it if it is connected). */
  onAdded(listener: (frame: EventFrame) => void): void {
    this.listener = listener;
  }

  /** `epoch`: the lease the bridge holds the client under (the edge records events only from its holder). */
  add(clientRef: number, event: BridgeEvent, epoch: number): EventFrame {
    const frame: EventFrame = { t: 'event', id: randomUUID(), clientRef, epoch, at: Date.now(), event };
    this.db.prepare('INSERT INTO event_queue (id, frame, created_at) VALUES (?, ?, ?)').run(frame.id, JSON.stringify(frame), frame.at);
    this.listener?.(frame);
    return frame;
  }

  pending(limit = 10_000): EventFrame[] {
    return this.db.prepare('SELECT frame FROM event_queue ORDER BY seq LIMIT ?').all(limit).map(readFrame);
  }

  /** The frames among `ids` still waiting for the edge (in order). */
  byIds(ids: string[]): EventFrame[] {
    if (!ids.length) return [];
    return this.db.prepare('SELECT frame FROM event_queue WHERE id IN (SELECT value FROM json_each(?)) ORDER BY seq').all(JSON.stringify(ids)).map(readFrame);
  }

  /** Frames sent more than `ms` ago and still not acknowledged. */
  stale(ms: number, limit = 1000): EventFrame[] {
    return this.db
      .prepare('SELECT frame FROM event_queue WHERE created_at < ? ORDER BY seq LIMIT ?')
      .all(Date.now() - ms, limit)
      .map(readFrame);
  }

  ack(ids: string[]): void {
    const del = this.db.prepare('DELETE FROM event_queue WHERE id = ?');
    for (const id of ids) del.run(id);
  }

  size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM event_queue').get() as { n: number }).n;
  }
}
