// One writer per output: a run (sweep, resume, merge) holds `<out>.lock` for its whole life, so a
// second run on the same output is refused at once, naming the process that holds it, instead of
// both appending to one journal. The lock is a symbolic link whose target is the holder
// ('<pid> <host> <since> <what>'), as Emacs locks files: made atomically by one symlink() (never
// seen half-written) and stored in the inode, so it takes no block even on a nearly full disk. A
// lock whose process is gone (a kill -9, a crash) is taken over, and of two runs taking over the
// same stale lock only one wins. Whether the holder is gone is asked of this machine's processes
// for a lock of this host (its pid, started before the lock was taken: a restarted container
// reuses the same few pids), and of the lock's age for a lock of another host (a shared volume of
// a cluster, where a node that died took its process along): a holder renews its lock every
// LOCK_RENEW_MS, and one not renewed for LOCK_ABANDONED_MS is taken over.
import { join } from 'node:path';
import { hostname } from 'node:os';
import { readlinkSync } from 'node:fs';
import { lstat, lutimes, readdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { removedAtExit } from '../io/exit-cleanup.js';
import { FileError, fileError } from '../io/fs-error.js';
import { processAlive } from '../io/process.js';

export const lockPath = (out: string): string => `${out}.lock`;

/** How often a holder renews its lock (the link's modification time). */
export const LOCK_RENEW_MS = 15_000;
/** A lock of another host not renewed for this long is abandoned: its holder's node is gone. */
export const LOCK_ABANDONED_MS = 120_000;

interface Holder {
  pid: number;
  host: string;
  /** ISO time the lock was taken */
  since: string;
  /** what holds it: 'sweep', 'merge' */
  what: string;
}

export interface RunLock {
  readonly path: string;
  /**
   * Aborted when a renewal finds the lock taken over by another run (this one went unrenewed
   * for LOCK_ABANDONED_MS: a process stalled that long, or a volume that stopped answering); its
   * reason is a LockedError naming the new holder. The holder stops: two runs must not write one output.
   */
  readonly lost: AbortSignal;
  /** what this run said of a stale lock it took over (a killed run's), for its log; else undefined */
  readonly tookOver?: string;
  release(): Promise<void>;
}

/** Thrown when another live process holds the output: exit 2 (lib/cli/exit.ts), naming it. */
export class LockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockedError';
  }
}

const format = (h: Holder) => `${h.pid} ${h.host} ${h.since} ${h.what}`;

interface Found {
  text: string;
  holder: Holder | null;
  /** ms since the lock was last renewed */
  ageMs: number;
}

async function readHolder(path: string): Promise<Found | null> {
  let text: string;
  let ageMs: number;
  try {
    text = await readlink(path);
    ageMs = Date.now() - (await lstat(path)).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((e as NodeJS.ErrnoException).code === 'EINVAL')
      throw new LockedError(`${path} is in the way of this run's lock and is not one distprompt made: move it away`);
    throw fileError(e, path);
  }
  const [pid, host, since, ...what] = text.split(' ');
  const holder = { pid: Number(pid), host, since, what: what.join(' ') };
  return { text, holder: Number.isInteger(holder.pid) && host && since ? holder : null, ageMs };
}

const describe = (h: Holder) => `process ${h.pid} on ${h.host} (a ${h.what} since ${h.since})`;

/**
 * File systems where no lock can be written: read-only or full. No other run can write the output
 * there either, and the run's own first write fails with the message that names its file and what
 * to do (free space, then --resume), so the run goes on without a lock rather than fail on it.
 */
const UNLOCKABLE = new Set(['EROFS', 'ENOSPC', 'EDQUOT']);

/** Creates the lock `path` naming its holder; false when it exists, 'unlockable' on a read-only or full disk. */
async function createWith(path: string, text: string): Promise<boolean | 'unlockable'> {
  try {
    await symlink(text, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (UNLOCKABLE.has(code)) return 'unlockable';
    throw fileError(e, path);
  }
}

/** Why the lock `found` (at `path`) keeps this process from `out`; null when its holder is gone (a stale lock). */
function refusal(out: string, found: Found | null, path = lockPath(out)): LockedError | null {
  const h = found?.holder;
  if (!h) return null;
  if (h.host !== hostname()) {
    if (found.ageMs > LOCK_ABANDONED_MS) return null;
    const minutes = LOCK_ABANDONED_MS / 60_000;
    return new LockedError(
      `${out} is being written by ${describe(h)}: wait for it to finish; if that host is down, the lock is taken over once it has gone ${minutes} minutes unrenewed (or delete ${path})`,
    );
  }
  const since = Date.parse(h.since);
  if (!processAlive(h.pid, Number.isNaN(since) ? undefined : since)) return null;
  if (h.pid === process.pid)
    return new LockedError(
      `${out} is already being written by this process (${h.what} since ${h.since}): await that run before ` +
        'starting another on this output (or pass waitForLock), or write to another output',
    );
  return new LockedError(`${out} is being written by ${describe(h)}: wait for it to finish, or stop it first`);
}

/**
 * Refuses, as taking the lock would, while a live run holds `out`, without taking it: for what
 * only reads the output (a plan of a resume), which must not keep a run from starting.
 */
export async function refuseIfLocked(out: string, path = lockPath(out)): Promise<void> {
  const refused = refusal(out, await readHolder(path));
  if (refused) throw refused;
}

/** The live run that holds `out` ('process <pid> on <host> (a sweep since …)'), or null: none, or one that is gone. */
export async function runHolding(out: string): Promise<string | null> {
  const found = await readHolder(lockPath(out)).catch(() => null);
  return refusal(out, found) ? describe(found!.holder!) : null;
}

/** How to wait for a lock another live run holds, instead of being refused. */
export interface LockWait {
  /** told once, with the refusal's message, when the wait begins */
  onWait?: (message: string) => void;
  /** stops the wait: lockOutput then rejects with an AbortError */
  signal?: AbortSignal;
  /** how often the lock is looked at again (default LOCK_RENEW_MS / 3) */
  pollMs?: number;
}

/**
 * One more wait for a live run, as `wait` says: tells `onWait` what it waits for (`waiting: …`,
 * what the wait is for rather than the refusal's remedy, which the wait is) the first time only,
 * then sleeps a poll; an aborted `signal` rejects with an AbortError.
 */
function waiter(wait: LockWait): (forWhat: string) => Promise<void> {
  let told = false;
  return async (forWhat) => {
    if (!told) wait.onWait?.(`waiting: ${forWhat}`);
    told = true;
    await sleep(wait.pollMs ?? LOCK_RENEW_MS / 3, undefined, { signal: wait.signal });
  };
}

/**
 * Takes the lock of `out` for this process, or throws a LockedError naming the live process that
 * holds it (pid, host, since when). A stale lock is taken over: one of this host whose process is
 * gone, one of another host not renewed for LOCK_ABANDONED_MS. `renewMs`: how often this
 * process renews it while it holds it. With `wait`, a lock held by a live run is waited for
 * (released, or abandoned) instead (a cluster's retried task, started while its lock is fresh).
 * `path`: where the lock is, `<out>.lock` unless a folder's own (a study's, inside its folder).
 */
export async function lockOutput(
  out: string,
  what: string,
  renewMs = LOCK_RENEW_MS,
  wait?: LockWait,
  path = lockPath(out),
): Promise<RunLock> {
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  const text = format(me);
  const waitOnce = wait && waiter(wait);
  // A run killed (kill -9, a crash) leaves its lock: said when taken over, so that the run's log
  // shows why an output it did not finish is being written again.
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const created = await createWith(path, text);
    if (created === 'unlockable') return { path, lost: new AbortController().signal, release: async () => undefined };
    if (created) return held(path, text, renewMs, tookOver);
    const found = await readHolder(path);
    if (!found) continue; // released in between: try again
    const refused = refusal(out, found, path);
    if (refused && !waitOnce) throw refused;
    if (refused) {
      const h = found!.holder!;
      const abandoned = h.host === hostname() ? '' : ` or abandoned (${LOCK_ABANDONED_MS / 60_000} minutes unrenewed)`;
      await waitOnce!(`${out} is being written by ${describe(h)}; this run goes on once it is released${abandoned}`);
      attempt = -1; // a wait is not a failed attempt
      continue;
    }
    // Stale (its process is gone) or unreadable: move it aside under a name of our own, and only
    // if what was moved is the lock we judged stale remove it; another taker's fresh lock is put back.
    const aside = `${path}.stale-${process.pid}-${Date.now()}`;
    try {
      await rename(path, aside);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      // Another user's lock in a folder with the sticky bit (as /tmp): only its owner may move it.
      if ((code === 'EPERM' || code === 'EACCES') && found.holder)
        throw new FileError(
          code,
          path,
          `${path} is the lock of ${describe(found.holder)}, which is gone, but this user may not remove it (${code}: another user's, in a folder with the sticky bit such as /tmp): its owner or root must delete it, or choose another output`,
          { cause: e },
        );
      throw fileError(e, path);
    }
    const moved = await readHolder(aside);
    if (moved && moved.text !== found.text) await symlink(moved.text, path).catch(() => undefined);
    else tookOver = takeOverText(path, found.holder);
    await unlink(aside).catch(() => undefined);
  }
  throw new LockedError(`${out}: cannot take the lock ${path} (other runs keep taking it): try again`);
}

/** What a run says of the stale lock `path` of `holder` (null: unreadable) it took over. */
function takeOverText(path: string, holder: Holder | null): string {
  if (!holder) return `took over ${path}, whose holder could not be read`;
  const why =
    holder.host === hostname()
      ? 'is gone (killed or crashed)'
      : `left it unrenewed for ${LOCK_ABANDONED_MS / 60_000} minutes`;
  return `took over ${path}: ${describe(holder)} ${why}`;
}

function held(path: string, text: string, renewMs: number, tookOver?: string): RunLock {
  let released = false;
  const lost = new AbortController();
  // An exit midway (Ctrl-C while a merge writes) removes it too, if it is still ours.
  const exited = removedAtExit(path, () => readlinkSync(path) === text);
  // Renewed while it is still ours; a renewal that fails (the volume did not answer) is left to
  // the next one, and none keeps the process alive. Found taken over by another run, it is lost.
  const renew = setInterval(() => {
    void readHolder(path)
      .then((now) => {
        if (released) return;
        if (now?.text === text) return lutimes(path, new Date(), new Date());
        if (now?.holder) {
          clearInterval(renew);
          lost.abort(
            new LockedError(
              `${path} was taken over by ${describe(now.holder)}, as an abandoned lock: this run had not renewed it for ${LOCK_ABANDONED_MS / 60_000} minutes (a stalled process or volume). It stopped so that one run writes the output; its finished rows are kept for the run that holds it now`,
            ),
          );
        }
      })
      .catch(() => undefined);
  }, renewMs);
  renew.unref();
  return {
    path,
    lost: lost.signal,
    tookOver,
    async release() {
      if (released) return;
      released = true;
      clearInterval(renew);
      // Only our own lock is removed (never one another run took over after us).
      const now = await readHolder(path).catch(() => null);
      if (now?.text === text) await unlink(path).catch(() => undefined);
      exited();
    },
  };
}

/**
 * A study's lock on its folder `outDir`, held by runStudy for its whole life: one study per
 * folder, as one sweep per output. A shard of a split study holds its own (a cluster's shards
 * share the folder, as a study's device workers do under the run that started them).
 */
export function studyLock(outDir: string, shard?: { index: number; count: number }): { path: string; what: string } {
  return shard
    ? {
        path: join(outDir, `study.shard${shard.index}of${shard.count}.lock`),
        what: `study shard ${shard.index}/${shard.count}`,
      }
    : { path: join(outDir, 'study.lock'), what: 'study' };
}

/**
 * Why a study of `outDir` (a shard of it: `shard`) must not run beside another of the folder that
 * holds a lock other than its own, or null: a whole study (merging the shards, or on devices)
 * beside a live shard, which would run the rows of a sweep no shard has begun yet, and a shard
 * beside a whole study other than the one whose device worker it is (its `parent`). Each checks
 * once it holds its own lock, so of two started at once at least one sees the other.
 */
async function studyBeside(outDir: string, shard: { index: number; count: number } | undefined, parent: number) {
  if (shard) {
    const path = studyLock(outDir).path;
    const found = await readHolder(path);
    const h = found?.holder;
    if (h && h.host === hostname() && h.pid === parent) return null;
    const refused = refusal(outDir, found, path);
    return refused && { message: refused.message, holder: h! };
  }
  const names = await readdir(outDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => /^study\.shard\d+of\d+\.lock$/.test(n)).sort()) {
    const found = await readHolder(join(outDir, name));
    if (!refusal(outDir, found, join(outDir, name))) continue;
    const h = found!.holder!;
    return {
      message: `${outDir} is being written by ${describe(h)}: wait for every shard to finish, then run this again to merge them and report, or stop it first`,
      holder: h,
    };
  }
  return null;
}

/**
 * Refuses (a LockedError naming the run) while another study of `outDir` runs that this one must
 * not run beside (studyBeside), or with `wait` waits until none does. `parent`: the process that
 * started this one (a device worker's study).
 */
export async function refuseStudiesBeside(
  outDir: string,
  shard?: { index: number; count: number },
  wait?: LockWait,
  parent = process.ppid,
): Promise<void> {
  const waitOnce = wait && waiter(wait);
  for (;;) {
    const beside = await studyBeside(outDir, shard, parent);
    if (!beside) return;
    if (!waitOnce) throw new LockedError(beside.message);
    await waitOnce(`${outDir} is being written by ${describe(beside.holder)}; this run goes on once it has finished`);
  }
}
