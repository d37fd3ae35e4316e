import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openBridgeDb } from './db.ts';

it('keeps its state dir and SQLite files readable by the owner only', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sb-db-')), 'state');
  const file = join(dir, 'bridge-x.sqlite');
  const db = openBridgeDb(file);
  db.prepare('INSERT INTO event_queue (id, frame, created_at) VALUES (?, ?, ?)').run('e1', '{}', 1);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
  db.close();
});
