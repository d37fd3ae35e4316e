// Events wait here, durably, until the edge acknowledges them: a restart of either side loses nothing,
// and the edge drops repeats by event id.
import { randomUUID } from 'node:crypto';
import type { BridgeEvent, EventFrame } from '../adapters/protocol.ts';
import type { BridgeDb } from './db.ts';

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

  add(clientRef: number, event: BridgeEvent): EventFrame {
    const frame: EventFrame = { t: 'event', id: randomUUID(), clientRef, at: Date.now(), event };
    this.db.prepare('INSERT INTO event_queue (id, frame, created_at) VALUES (?, ?, ?)').run(frame.id, JSON.stringify(frame), frame.at);
    this.listener?.(frame);
    return frame;
  }

  pending(limit = 10_000): EventFrame[] {
    return this.db
      .prepare('SELECT frame FROM event_queue ORDER BY seq LIMIT ?')
      .all(limit)
      .map((r) => JSON.parse((r as { frame: string }).frame) as EventFrame);
  }

  /** Frames sent more than `ms` ago and still not acknowledged. */
  stale(ms: number, limit = 1000): EventFrame[] {
    return this.db
      .prepare('SELECT frame FROM event_queue WHERE created_at < ? ORDER BY seq LIMIT ?')
      .all(Date.now() - ms, limit)
      .map((r) => JSON.parse((r as { frame: string }).frame) as EventFrame);
  }

  ack(ids: string[]): void {
    const del = this.db.prepare('DELETE FROM event_queue WHERE id = ?');
    for (const id of ids) del.run(id);
  }

  size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM event_queue').get() as { n: number }).n;
  }
}
