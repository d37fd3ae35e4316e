// CPU time of the workerd processes this process started (the Worker, every Durable Object and D1
// run there), from /proc: the figure per request that a shared 2-core machine does not blur.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** Milliseconds of CPU (user + system) used so far by workerd children of this process. */
export function workerdCpuMs(parent = process.pid): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' '); // fields[0] is state (field 3)
    if (comm !== 'workerd' || Number(fields[1]) !== parent) continue;
    ticks += Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
