// Whether a process of this machine is alive: what decides if a lock, a temporary or a partial
// download a process left behind is still its own, or stale.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture). */
const USER_HZ = 100;
/** btime has whole seconds and starttime ticks: two seconds cover both roundings. */
const START_SLACK_MS = 2000;

/**
 * When process `pid` started (ms since the epoch), from /proc; undefined where that cannot be
 * read (not Linux, or the process is gone).
 */
function startedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // starttime field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? (btime + ticks / USER_HZ) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` has ended and awaits its parent's wait() (state Z in /proc); false where that cannot be read. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** This process's start (ms since the epoch). */
export const processStart = (): number => performance.timeOrigin;

/**
 * Whether process `pid` is alive and, given `since` (ms since the epoch, when it left what is
 * being judged), was already running then. A process that started later only reuses the number
 * of a dead one: after a reboot, or in a restarted container, where the same few pids come again.
 */
export function processAlive(pid: number, since?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie answers signal 0 but has ended: a killed run whose parent has not reaped it yet (or
  // never will, in a container whose first process reaps no orphans) holds nothing.
  if (zombie(pid)) return false;
  if (since === undefined) return true;
  const started = pid === process.pid ? processStart() : startedAt(pid);
  return started === undefined || started <= since + START_SLACK_MS;
}
