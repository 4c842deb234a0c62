// The output lock's judgement of its holder, on real files and processes: a pid that came back
// in a restarted container is not the holder; a lock of another host is the holder's while it
// renews it, and abandoned once it stops (the node died), so a retried cluster task resumes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { lutimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { processStart } from '../lib/io/process.js';
import { LOCK_ABANDONED_MS, lockOutput, refuseIfLocked } from '../lib/run/lock.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';

const cli = join(import.meta.dirname, '..', 'dist', 'lib', 'cli', 'main.js');
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
    await expect(lockOutput(out, 'merge')).rejects.toThrow('is already being written by this process');
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
