// The registry mirror this project is built against lacks some platform builds of workerd
// (darwin, windows) for recent versions, so `npm install` leaves them out of package-lock.json
// and `npm ci` then calls the lock out of sync. This adds the missing optional platform entries
// (os/cpu-restricted, so npm skips them on other platforms). Run after changing dependencies:
//   npm install && node scripts/complete-lock.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './system.ts';

type Entry = { version?: string; optionalDependencies?: Record<string, string>; [k: string]: unknown };

const file = join(ROOT, 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, Entry> };
const pkgs = lock.packages;

/** Where node would look for `dep` from the package at `path`, nearest first. */
function candidates(path: string, dep: string): string[] {
  const out: string[] = [];
  let p = path;
  for (;;) {
    out.push(`${p ? `${p}/` : ''}node_modules/${dep}`);
    if (!p) return out;
    const i = p.lastIndexOf('/node_modules/');
    p = i >= 0 ? p.slice(0, i) : '';
  }
}

const platformOf = (name: string) => ({
  os: [name.includes('darwin') ? 'darwin' : name.includes('windows') || name.includes('win32') ? 'win32' : name.includes('android') ? 'android' : 'linux'],
  cpu: [name.includes('arm64') ? 'arm64' : 'x64'],
  ...(name.includes('musl') ? { libc: ['musl'] } : {}),
});

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const where = candidates(path, dep);
    if (where.some((w) => w in pkgs) || !/-(darwin|windows|win32|linux|android)-/.test(dep)) continue;
    pkgs[where[0]!] = { version, ...platformOf(dep), optional: true };
    added++;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} missing optional platform entries`);
