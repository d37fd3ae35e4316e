// `npm start` as a process: it prints its URL, its children never see the admin credentials, and
// SIGTERM or SIGINT stops it together with every process it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-npm-start-'));
const started: ChildProcess[] = [];
const descendants: number[] = [];

afterAll(() => {
  // only after a failed assertion: nothing is left running when the tests pass
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of descendants) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

interface Proc {
  pid: number;
  cmdline: string;
}

/** Live (non-zombie) processes whose parent is `ppid`, from /proc. */
function childrenOf(ppid: number): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === ppid && state !== 'Z')
        out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const isRunning = (pid: number) => {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
};

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

async function startNpmStart(port: number) {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), STATE_DIR: stateDir, ADMIN_PASSWORD: 'npm-start-password', ADMIN_API_KEY: 'sba_npm_start_admin_key_0123456789' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /Switchboard is running at (\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stopsEverything(signal: NodeJS.Signals) {
  const port = await freePort();
  const { child, url, output } = await startNpmStart(port);
  expect(url).toBe(`http://127.0.0.1:${port}`);
  expect((await fetch(`${url}/health`)).status).toBe(200);

  const children = childrenOf(child.pid!);
  descendants.push(...children.map((p) => p.pid));
  const bridge = children.filter((p) => p.cmdline.includes('bridge/index.ts'));
  const workerd = children.filter((p) => p.cmdline.includes('workerd'));
  expect(bridge, JSON.stringify(children)).toHaveLength(1);
  expect(workerd, JSON.stringify(children)).toHaveLength(1);
  for (const p of [...bridge, ...workerd]) {
    const env = environ(p.pid);
    expect(env.length).toBeGreaterThan(1);
    expect(
      env.filter((v) => /^ADMIN_(PASSWORD|API_KEY)=/.test(v)),
      p.cmdline,
    ).toEqual([]);
  }
  expect(environ(bridge[0]!.pid)).toContain(`EDGE_URL=${url}`);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  expect(await exited, output()).toBe(0);
  const pids = children.map((p) => p.pid);
  for (let i = 0; i < 100 && pids.some(isRunning); i++) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(isRunning), JSON.stringify(children)).toEqual([]);
  await expect(fetch(`${url}/health`)).rejects.toThrow();
}

describe('npm start (node scripts/start.ts)', () => {
  it('stops with every process it started on SIGTERM', () => stopsEverything('SIGTERM'));
  it('stops with every process it started on SIGINT', () => stopsEverything('SIGINT'));
});
