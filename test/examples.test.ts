// The cluster examples run as their schedulers would run them, on CPU with a tiny spec: the Slurm
// array script with Slurm's variables and a stand-in sbatch, the Kubernetes Indexed Job's commands
// with the index and volumes it names. Each shard resumes, a finished shard reruns as a no-op, the
// merge and report may run twice, and the exit code the Job's failure policy names is the CLI's.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('examples');

const TARGETS = 8;
const SPEC = {
  model: 'random:micro',
  inits: 1,
  maxEpochs: 10,
  bound: false,
  targets: [{ kind: 'vanilla', entropyBits: `0:${(TARGETS - 1) / 2}:0.5`, method: 'temperature' }],
};

/** A folder for PATH: `npx distprompt …` runs this checkout's CLI; `sbatch` logs its arguments. */
function fakeBin(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  const cli = join(root, 'dist', 'lib', 'cli', 'main.js');
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift\nexec "${process.execPath}" "${cli}" "$@"\n`);
  writeFileSync(join(bin, 'sbatch'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "sbatch.$$.args"\n');
  for (const f of ['npx', 'sbatch']) chmodSync(join(bin, f), 0o755);
  return bin;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { HOME: work, PATH: `${fakeBin()}:/usr/bin:/bin`, ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('examples/slurm/sweep.sbatch', () => {
  const dir = join(work, 'slurm');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(SPEC));
  const script = join(root, 'examples', 'slurm', 'sweep.sbatch');
  const task = (id: number, extra: Record<string, string> = {}) =>
    run('bash', [script], dir, {
      SLURM_ARRAY_JOB_ID: '77',
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: '1',
      SLURM_ARRAY_TASK_MAX: '2',
      SLURM_ARRAY_TASK_COUNT: '2',
      DEVICE: 'cpu',
      ...extra,
    });
  const submissions = () =>
    execFileSync('sh', ['-c', 'cat sbatch.*.args 2>/dev/null || true'], { cwd: dir, encoding: 'utf8' })
      .split('--dependency')
      .slice(1);

  it('is valid bash', () => {
    expect(execFileSync('bash', ['-n', script], { encoding: 'utf8' })).toBe('');
  });

  it('runs each array task as a shard, and the first submits the merge once, after the array', () => {
    for (const id of [1, 2]) expect(task(id)).toMatchObject({ status: 0 });
    expect(submissions()).toHaveLength(1);
    expect(submissions()[0]).toMatch(/^=afterok:77\n/);
    // The shards draw no figures of their slices.
    expect(existsSync(join(dir, 'results', 'figures'))).toBe(false);
  });

  it('a requeued first task finds its shard done (exit 0) and does not submit the merge again', () => {
    const r = task(1, { SLURM_RESTART_COUNT: '1' });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/\(\d+ resumed\)/);
    expect(submissions()).toHaveLength(1);
  });

  it('the merge job joins every row, and a rerun of it replaces its own output', async () => {
    const wrap = submissions()[0].split('\n--wrap\n')[1].trim();
    for (let i = 0; i < 2; i++) {
      const r = run('bash', ['-c', wrap], dir, {});
      expect(r.status, r.out).toBe(0);
    }
    const merged = await readResults(join(dir, 'results', 'results.arrow'));
    expect(merged.records).toHaveLength(TARGETS);
    expect(existsSync(join(dir, 'results', 'report.html'))).toBe(true);
  });
});

describe('examples/kubernetes/indexed-job.yaml', () => {
  const dir = join(work, 'k8s');
  const volumes = { '/spec/': join(dir, 'spec') + '/', '/results/': join(dir, 'results') + '/' };
  mkdirSync(volumes['/spec/'], { recursive: true });
  mkdirSync(volumes['/results/'], { recursive: true });
  writeFileSync(join(volumes['/spec/'], 'sweep.json'), JSON.stringify(SPEC));
  const yaml = createRequire(join(root, 'package.json'))('js-yaml') as { loadAll(text: string): unknown[] };
  type Container = { name: string; command: string[]; env?: { name: string; value: string }[] };
  type JobDoc = {
    spec: {
      completions?: number;
      podFailurePolicy?: { rules: { action: string; onExitCodes?: { containerName: string; values: number[] } }[] };
      template: { spec: { containers: Container[] } };
    };
  };
  const [sweepJob, mergeJob] = yaml.loadAll(
    readFileSync(join(root, 'examples', 'kubernetes', 'indexed-job.yaml'), 'utf8'),
  ) as JobDoc[];
  const sweep = sweepJob.spec.template.spec.containers[0];
  const shardCount = sweep.env!.find((e) => e.name === 'DISTPROMPT_SHARD_COUNT')!.value;
  // As the pod would run it: $(VAR) expanded by Kubernetes, the volumes here, on the CPU.
  const local = (arg: string, index: number) =>
    Object.entries(volumes)
      .reduce((a, [from, to]) => a.replaceAll(from, to), arg.replaceAll('$(JOB_COMPLETION_INDEX)', String(index)))
      .replace(/^cuda$/, 'cpu');
  const pod = (index: number, command = sweep.command) =>
    run(
      local(command[0], index),
      command.slice(1).map((a) => local(a, index)),
      dir,
      {
        JOB_COMPLETION_INDEX: String(index),
        DISTPROMPT_SHARD_COUNT: shardCount,
      },
    );

  it('tells the CLI as many shards as the Job has completions', () => {
    expect(Number(shardCount)).toBe(sweepJob.spec.completions);
  });

  it('each index runs its shard, and a restarted pod finds it done (exit 0)', () => {
    for (let i = 0; i < Number(shardCount); i++) {
      const r = pod(i);
      expect(r.status, r.out).toBe(0);
    }
    const again = pod(0);
    expect(again.status, again.out).toBe(0);
    expect(again.out).toMatch(/\(\d+ resumed\)/);
  });

  it('the merge job joins every row, and a retried merge replaces its own output', async () => {
    const merge = mergeJob.spec.template.spec.containers[0];
    for (let i = 0; i < 2; i++) {
      const r = pod(0, merge.command);
      expect(r.status, r.out).toBe(0);
    }
    expect((await readResults(join(volumes['/results/'], 'results.arrow'))).records).toHaveLength(TARGETS);
  });

  it("the failure policy's exit code is the CLI's for invalid input", () => {
    const rule = sweepJob.spec.podFailurePolicy!.rules.find((r) => r.action === 'FailIndex')!;
    expect(rule.onExitCodes!.containerName).toBe(sweep.name);
    writeFileSync(join(volumes['/spec/'], 'sweep.json'), JSON.stringify({ ...SPEC, inits: 0 }));
    const r = pod(0);
    expect(rule.onExitCodes!.values).toEqual([r.status]);
  });
});
