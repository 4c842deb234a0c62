// The output lock's judgement of its holder, on real files and processes: a pid that came back
// in a restarted container is not the holder; a lock of another host is the holder's while it
// renews it, and abandoned once it stops (the node died), so a retried cluster task resumes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { lutimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { processStart } from '../lib/io/process.js';
import { scanJournal } from '../lib/results/index.js';
import { LOCK_ABANDONED_MS, lockOutput, refuseIfLocked } from '../lib/run/lock.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { canRunAsNobody, cli, interruptWhen, runCliAsNobody } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A lock at a fresh output naming `pid` on `host` since `since`; returns the output's path. */
function lockedBy(pid: number, host: string, since: Date): string {
  const out = join(dir, `out-${n++}.arrow`);
  symlinkSync(`${pid} ${host} ${since.toISOString()} sweep`, `${out}.lock`);
  return out;
}
const holderPid = (out: string) => Number(readlinkSync(`${out}.lock`).split(' ')[0]);
const hourAgo = () => new Date(Date.now() - 3_600_000);

/** A live process of this machine that started just now. */
async function freshProcess(): Promise<number> {
  const c = spawn('sleep', ['600']);
  children.push(c);
  await new Promise((r) => c.once('spawn', r));
  return c.pid!;
}

describe('a lock of this host', () => {
  it('naming a live process that started after the lock was taken: a reused pid, taken over', async () => {
    const out = lockedBy(await freshProcess(), hostname(), hourAgo());
    await refuseIfLocked(out);
    const lock = await lockOutput(out, 'sweep');
    expect(holderPid(out)).toBe(process.pid);
    await lock.release();
  });

  it('naming a live process that was running when it was taken: refused, naming it', async () => {
    const pid = await freshProcess();
    const out = lockedBy(pid, hostname(), new Date(Date.now() + 5000));
    await expect(lockOutput(out, 'sweep')).rejects.toThrow(`is being written by process ${pid} on ${hostname()}`);
    await expect(refuseIfLocked(out)).rejects.toThrow(`process ${pid}`);
    expect(holderPid(out)).toBe(pid);
  });

  it("naming this process's pid from before it started (a restarted container): taken over", async () => {
    const out = lockedBy(process.pid, hostname(), new Date(processStart() - 3_600_000));
    const lock = await lockOutput(out, 'sweep');
    await lock.release();
    // Taken by this process itself, it is still refused: two runs of one process on one output.
    const mine = await lockOutput(out, 'sweep');
    await expect(lockOutput(out, 'merge')).rejects.toThrow(
      /is already being written by this process \(sweep since .*\): await that run before starting another on this output \(or pass waitForLock\), or write to another output$/,
    );
    await mine.release();
  });
});

describe('a lock of another host', () => {
  it('renewed lately: refused, saying when it would be taken over', async () => {
    const out = lockedBy(4242, 'other-node', hourAgo());
    await expect(lockOutput(out, 'sweep')).rejects.toThrow(
      /being written by process 4242 on other-node .* the lock is taken over once it has gone 2 minutes unrenewed/,
    );
    expect(holderPid(out)).toBe(4242);
  });

  it('unrenewed for longer than LOCK_ABANDONED_MS: its node is gone, taken over', async () => {
    const out = lockedBy(4242, 'other-node', hourAgo());
    const then = new Date(Date.now() - LOCK_ABANDONED_MS - 10_000);
    await lutimes(`${out}.lock`, then, then);
    const lock = await lockOutput(out, 'sweep');
    expect(holderPid(out)).toBe(process.pid);
    await lock.release();
  });
});

it('a holder renews its lock while it holds it, and stops once released', async () => {
  const out = join(dir, 'renewed.arrow');
  const lock = await lockOutput(out, 'sweep', 50);
  const old = new Date(Date.now() - 600_000);
  await lutimes(`${out}.lock`, old, old);
  await new Promise((r) => setTimeout(r, 400));
  expect(Date.now() - lstatSync(`${out}.lock`).mtimeMs).toBeLessThan(60_000);
  await lock.release();
  expect(() => lstatSync(`${out}.lock`)).toThrow(/ENOENT/);
});

it('a resume whose lock another host abandoned runs (a retried pod of a cluster)', () => {
  const cfg = writeMicroConfig(dir, 'micro.json');
  const out = lockedBy(4242, 'dead-node', hourAgo());
  const then = new Date(Date.now() - LOCK_ABANDONED_MS - 10_000);
  spawnSync('touch', ['-h', '-d', then.toISOString(), `${out}.lock`]);
  const r = spawnSync(process.execPath, [cli, 'sweep', '-c', cfg, '-o', out, '--resume', '--no-figures', '-q'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  expect(() => lstatSync(`${out}.lock`)).toThrow(/ENOENT/);
}, 120_000);

it('a holder that finds its lock taken over is told, and leaves the new holder its lock', async () => {
  const out = join(dir, 'lost.arrow');
  const lock = await lockOutput(out, 'sweep', 50);
  expect(lock.lost.aborted).toBe(false);
  // Another host judged it abandoned (this process stalled) and took it.
  rmSync(`${out}.lock`);
  symlinkSync(`4242 other-node ${new Date().toISOString()} resumed sweep`, `${out}.lock`);
  await new Promise((r) => setTimeout(r, 300));
  expect(lock.lost.aborted).toBe(true);
  expect(String(lock.lost.reason)).toMatch(
    /LockedError: .*lost\.arrow\.lock was taken over by process 4242 on other-node/,
  );
  await lock.release();
  expect(holderPid(out)).toBe(4242);
});

it('a sweep whose lock is taken over stops (exit 2) at its next renewal, its rows kept', () => {
  // Still running at a renewal (every 15 s) after its first rows: 362 rows of 1,500 epochs, 4 at
  // a time (about a minute here).
  const cfg = writeMicroConfig(dir, 'long.json', {
    targets: [{ kind: 'vanilla', entropyBits: '0:9:0.05', method: 'temperature' }],
    inits: 2,
    maxEpochs: 1500,
    patience: 1500,
    batchSize: 4,
  });
  const out = join(dir, 'taken.arrow');
  const child = spawn(process.execPath, [cli, 'sweep', '-c', cfg, '-o', out, '--no-figures', '-q'], { cwd: dir });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<void>((resolve, reject) => {
    // Taken over once a row batch is journaled (on a loaded machine the first can come after the
    // first renewal): the renewal after it finds the lock another's, and the rows are kept.
    const takeOver = setInterval(() => {
      try {
        if (!readlinkSync(`${out}.lock`).startsWith(`${child.pid} `)) return;
        if (scanJournal(readFileSync(`${out}.partial`)).batches < 1) return;
      } catch {
        return; // not taken, or no journal, yet
      }
      clearInterval(takeOver);
      rmSync(`${out}.lock`);
      symlinkSync(`4242 other-node ${new Date().toISOString()} resumed sweep`, `${out}.lock`);
    }, 100);
    child.on('exit', (code) => {
      clearInterval(takeOver);
      try {
        expect(code, stderr).toBe(2);
        expect(stderr).toMatch(/taken\.arrow\.lock was taken over by process 4242 on other-node/);
        expect(lstatSync(`${out}.partial`).isFile()).toBe(true);
        expect(holderPid(out)).toBe(4242);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}, 120_000);

describe('waiting for a lock (--wait-for-lock: a retried cluster task started while its lock is fresh)', () => {
  const age = (out: string) => {
    const then = new Date(Date.now() - LOCK_ABANDONED_MS - 10_000);
    spawnSync('touch', ['-h', '-d', then.toISOString(), `${out}.lock`]);
  };

  it('is told once, takes the lock once it is abandoned, and stops on its signal', async () => {
    const out = lockedBy(4242, 'other-node', new Date());
    const told: string[] = [];
    const taking = lockOutput(out, 'sweep', 60_000, { onWait: (m) => told.push(m), pollMs: 50 });
    await new Promise((r) => setTimeout(r, 300));
    expect(holderPid(out)).toBe(4242);
    age(out);
    const lock = await taking;
    expect(holderPid(out)).toBe(process.pid);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(
      /^waiting: .*out-\d+\.arrow is being written by process 4242 on other-node .*; this run goes on once it is released or abandoned \(2 minutes unrenewed\)$/,
    );
    await lock.release();

    const held = lockedBy(4343, 'other-node', new Date());
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    await expect(lockOutput(held, 'sweep', 60_000, { signal: ctl.signal, pollMs: 50 })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(holderPid(held)).toBe(4343);
  });

  it("a sweep's plan of an output being written names its writer, not the journal as an interrupted run's", () => {
    const cfg = writeMicroConfig(dir, 'micro.json');
    const out = lockedBy(4242, 'other-node', new Date());
    writeFileSync(`${out}.partial`, 'rows being written');
    const plan = spawnSync(process.execPath, [cli, 'sweep', '-c', cfg, '-o', out, '--plan'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(plan.status, plan.stderr).toBe(2);
    expect(plan.stderr).toMatch(/is being written by process 4242 on other-node/);
    expect(plan.stderr).not.toMatch(/holds an unfinished run/);
  });

  it('a sweep waits, then resumes (exit 0) where it would have exited 2', async () => {
    const cfg = writeMicroConfig(dir, 'micro.json');
    const out = lockedBy(4242, 'other-node', new Date());
    const args = [cli, 'sweep', '-c', cfg, '-o', out, '--resume', '--no-figures'];
    const refused = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    expect(refused.status).toBe(2);
    const waiter = spawn(process.execPath, [...args, '--wait-for-lock'], { cwd: dir });
    children.push(waiter);
    let stderr = '';
    // The holder's node dies once the sweep is waiting (not after a fixed sleep, which a slow
    // start on a loaded machine outlasted): its lock ages past the limit.
    const aged = new Date(Date.now() - LOCK_ABANDONED_MS - 10_000);
    let touched = false;
    waiter.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!touched && /waiting: /.test(stderr)) {
        touched = true;
        void lutimes(`${out}.lock`, aged, aged);
      }
    });
    const status = await new Promise<number | null>((r) => waiter.once('close', r));
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/waiting: .* is being written by process 4242 on other-node/);
    expect(stderr).toMatch(/rows in /);
  }, 120_000);
});

// Root can move anything, so the case is run as the unprivileged user 'nobody' (skipped elsewhere).
describe.skipIf(!canRunAsNobody)('a stale lock of another user in a sticky folder (as /tmp)', () => {
  it('is named as a gone run that this user may not remove, with who must', () => {
    const sticky = mkdtempSync(join(dir, 'sticky-'));
    chmodSync(dir, 0o755);
    chmodSync(sticky, 0o1777);
    const out = join(sticky, 'r.arrow');
    symlinkSync(`99999999 ${hostname()} ${hourAgo().toISOString()} sweep`, `${out}.lock`); // root's, its process gone
    const cfg = join(sticky, writeMicroConfig(sticky, 'micro.json'));
    chmodSync(cfg, 0o644);
    const r = runCliAsNobody(['sweep', '-c', cfg, '-o', out, '--no-figures'], sticky);
    expect(r.stderr).toMatch(
      /r\.arrow\.lock is the lock of process 99999999 on .*, which is gone, but this user may not remove it \(EPERM: .*sticky bit.*\): its owner or root must delete it/,
    );
    expect(r.status).toBe(2);
  });
});

describe('a study holds its folder for its whole life (<dir>/study.lock)', () => {
  /** `distprompt study vanilla` on the micro model at smoke scale (seconds) into `out`, with `flags`. */
  const study = (out: string, ...flags: string[]) => [
    cli,
    ...'study vanilla -m random:micro --scale smoke --no-bound'.split(' '),
    '-o',
    out,
    ...flags,
  ];
  /** The folder's lock naming `pid` of this host as a study's since `since`. */
  const folderLockedBy = (pid: number, since: Date) => {
    const out = mkdtempSync(join(dir, 'study-'));
    symlinkSync(`${pid} ${hostname()} ${since.toISOString()} study`, join(out, 'study.lock'));
    return out;
  };

  /** A live process of this host, not a parent of the runs tested: a study holding a lock. */
  const liveHolder = async () => {
    const holder = spawn('sleep', ['600']);
    children.push(holder);
    await new Promise((r) => holder.once('spawn', r));
    return holder;
  };
  /** A study of `out` with --wait-for-lock says it waits for `holder` (`holding`), and runs once it is gone. */
  const waitsForThenRuns = async (out: string, holder: ChildProcess, holding: string) => {
    const waiter = spawn(process.execPath, study(out, '--wait-for-lock'), { cwd: dir });
    children.push(waiter);
    let stderr = '';
    waiter.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/waiting: /.test(stderr)) holder.kill();
    });
    const status = await new Promise<number | null>((r) => waiter.once('close', r));
    expect(status, stderr).toBe(0);
    expect(stderr).toContain(`waiting: ${out} is being written by process ${holder.pid} on ${hostname()} (${holding}`);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'study.lock'))).toBe(false);
  };

  it('a second study of the folder is refused at once, naming it and its holder, and so is its plan; --wait-for-lock waits', async () => {
    // A live holder, running since before it took the lock (a study of another process).
    const holder = await liveHolder();
    const out = folderLockedBy(holder.pid!, new Date(Date.now() + 5000));
    const refused = spawnSync(process.execPath, study(out), { cwd: dir, encoding: 'utf8' });
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `${out} is being written by process ${holder.pid} on ${hostname()} (a study since `,
    );
    expect(refused.stderr).toContain('wait for it to finish, or stop it first');
    expect(refused.stderr).not.toContain('[1/1]');
    expect(readdirSync(out)).toEqual(['study.lock']);
    // The plan takes no lock, and prices the command it is given, which would be refused: so is
    // the plan, in the same words, before any calibration.
    const plan = spawnSync(process.execPath, study(out, '--plan'), { cwd: dir, encoding: 'utf8' });
    expect(plan.status, plan.stderr).toBe(2);
    expect(plan.stderr).toContain(`${out} is being written by process ${holder.pid} on ${hostname()} (a study since `);
    expect(plan.stderr).not.toContain('calibrating');
    expect(holderPid(join(out, 'study'))).toBe(holder.pid);
    // With --wait-for-lock it says for whom it waits, and runs once the holder is gone.
    await waitsForThenRuns(out, holder, 'a study since');
  }, 120_000);

  it('Ctrl-C while a study waits for its folder says nothing was run (exit 130), and leaves the holder its lock', async () => {
    const holder = await liveHolder();
    const out = folderLockedBy(holder.pid!, new Date(Date.now() + 5000));
    const { code, err, sent } = await interruptWhen(study(out, '--wait-for-lock').slice(1), dir, 'waiting: ');
    expect({ sent, code }, err).toEqual({ sent: true, code: 130 });
    expect(err).toContain(`interrupted while waiting for ${out}: nothing was run`);
    expect(err).not.toContain('--resume');
    expect(readdirSync(out)).toEqual(['study.lock']);
    expect(holderPid(join(out, 'study'))).toBe(holder.pid);
  }, 120_000);

  it('a merging study started while a shard of the folder runs is refused, naming the shard, as is its plan; --wait-for-lock waits for it', async () => {
    // A shard holds its own lock, not the folder's: the merging run would otherwise run whole
    // every sweep no shard has begun, beside the shards that then run it too.
    const holder = await liveHolder();
    const out = mkdtempSync(join(dir, 'study-'));
    const since = new Date(Date.now() + 5000).toISOString();
    symlinkSync(`${holder.pid} ${hostname()} ${since} study shard 0/2`, join(out, 'study.shard0of2.lock'));
    const shardRuns = `${out} is being written by process ${holder.pid} on ${hostname()} (a study shard 0/2 since ${since}): wait for every shard to finish, then run this again to merge them and report`;
    for (const flags of [[], ['--plan']]) {
      const r = spawnSync(process.execPath, study(out, ...flags), { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(shardRuns);
      expect(r.stderr).not.toMatch(/calibrating|\[1\/1\]/);
      expect(readdirSync(out)).toEqual(['study.shard0of2.lock']);
    }
    await waitsForThenRuns(out, holder, 'a study shard 0/2 since');
  }, 120_000);

  it('a shard started while a whole study of the folder runs (not as its device worker) is refused, naming it', async () => {
    const holder = await liveHolder();
    const out = folderLockedBy(holder.pid!, new Date(Date.now() + 5000));
    for (const flags of [
      ['--shard', '1/2'],
      ['--shard', '1/2', '--plan'],
    ]) {
      const r = spawnSync(process.execPath, study(out, ...flags), { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${out} is being written by process ${holder.pid} on ${hostname()} (a study since `);
      expect(readdirSync(out)).toEqual(['study.lock']);
    }
  }, 60_000);

  /** A study of `out` started in the background: its process, its stderr so far, and its exit status. */
  const started = (out: string) => {
    const child = spawn(process.execPath, study(out), { cwd: dir });
    children.push(child);
    const run = { child, stderr: '', done: new Promise<number | null>((r) => child.once('close', r)) };
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    return run;
  };
  /** Resolves once the study holds its folder (it has begun its sweep). */
  const holding = async (run: { stderr: string }) => {
    while (!/\[1\/1\] vanilla/.test(run.stderr)) await new Promise((r) => setTimeout(r, 20));
  };

  it('two studies started together on one folder: the second is refused (exit 2), the first finishes', async () => {
    const out = mkdtempSync(join(dir, 'study-'));
    const first = started(out);
    await holding(first);
    const second = spawnSync(process.execPath, study(out), { cwd: dir, encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(2);
    expect(second.stderr).toContain(
      `${out} is being written by process ${first.child.pid} on ${hostname()} (a study since`,
    );
    expect(await first.done, first.stderr).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  }, 120_000);

  it('the lock of a killed study (SIGKILL) is taken over by the next run, which resumes', async () => {
    const out = mkdtempSync(join(dir, 'study-'));
    const killed = started(out);
    await holding(killed);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(holderPid(join(out, 'study'))).toBe(killed.child.pid);
    const again = spawnSync(process.execPath, study(out, '--resume'), { cwd: dir, encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'study.lock'))).toBe(false);
  }, 120_000);
});

it('a run that finds the lock of a killed run (its process gone) takes it over and says so', () => {
  const cfg = writeMicroConfig(dir, 'micro-killed.json');
  // A pid of this host whose process has ended: the lock's holder, killed before it could release it.
  const gone = spawnSync('true').pid;
  const since = hourAgo();
  const out = lockedBy(gone, hostname(), since);
  const holder = `process ${gone} on ${hostname()} (a sweep since ${since.toISOString()})`;
  const r = spawnSync(process.execPath, [cli, 'sweep', '-c', cfg, '-o', out, '--no-figures'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain(`took over ${out}.lock: ${holder} is gone (killed or crashed)`);
  // A study's folder lock alike.
  const folder = join(dir, 'study-killed');
  mkdirSync(folder);
  symlinkSync(`${gone} ${hostname()} ${since.toISOString()} study`, join(folder, 'study.lock'));
  const study = spawnSync(
    process.execPath,
    [cli, 'study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', folder],
    { cwd: dir, encoding: 'utf8' },
  );
  expect(study.status, study.stderr).toBe(0);
  expect(study.stderr).toContain(
    `took over ${join(folder, 'study.lock')}: process ${gone} on ${hostname()} (a study since ${since.toISOString()}) is gone (killed or crashed)`,
  );
}, 120_000);

it('a lock whose holder has ended but is not yet reaped (a zombie: a killed run) is taken over', async () => {
  // sh starts a child, then becomes `sleep 60`, which never waits for it: the child, ending after
  // that exec, stays a zombie.
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(parent);
  const pid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(String(d)))));
  // Polled, not timed: the child's exit is the event waited for.
  while (!readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z'))
    await new Promise((r) => setImmediate(r));
  const out = lockedBy(pid, hostname(), new Date());
  const lock = await lockOutput(out, 'sweep');
  expect(holderPid(out)).toBe(process.pid);
  expect(lock.tookOver).toContain(`process ${pid} on ${hostname()}`);
  await lock.release();
});
