// Child processes npm start runs in their own process groups (a terminal's Ctrl+C reaches npm start
// alone, which then stops them in order). Whatever happens, none outlives npm start: a process
// 'exit' hook SIGKILLs any group still running.
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

process.on('exit', () => {
  for (const child of running) if (alive(child)) signalGroup(child, 'SIGKILL');
});

/** Registers a child spawned with `detached: true` for the exit hook. */
export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Sends `signal` to the child's group and waits for it to exit (SIGKILL after `graceMs`). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    signalGroup(child, signal);
  });
}
