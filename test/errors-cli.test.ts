// Bad input on the command line, as a user gives it: a child process of the built CLI (npm test
// builds it). Every error the user caused exits 2 with a message that names the file or value;
// faults of the machine (a full disk, a read-only file system) exit 1 and say so; nothing
// half-written is left where a finished file is expected. Full and read-only disks are tiny
// tmpfs mounts (root only: skipped with a notice otherwise).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { native } from '../lib/native/index.js';
import { journalPath, readResults, ResultWriter } from '../lib/results/index.js';
import { readTargetFile } from '../lib/targets/file.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { canRunAsNobody, cli, runCli, runCliAsNobody, runCliAsync } from './helpers/cli.js';

const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-errors-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(args, dir);
// Runs that refuse or write outputs of their own, awaited together: mostly node starting, which shares the cores.
const runAsync = (args: string[]) => runCliAsync(args, dir);

const config = (name: string, over: object = {}): string => writeMicroConfig(dir, name, over);
const sweep = (cfg: string, out: string, ...more: string[]) =>
  run(['sweep', '-c', cfg, '-o', out, '--no-figures', '-q', ...more]);
const sweepAsync = (cfg: string, out: string, ...more: string[]) =>
  runAsync(['sweep', '-c', cfg, '-o', out, '--no-figures', '-q', ...more]);

/** A tmpfs of `size`, read-only with ro; null where this process may not mount. */
function tmpfs(size: string, ro = false): string | null {
  const at = mkdtempSync(join(dir, 'fs-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `${ro ? 'ro,' : ''}size=${size}`, 'tmpfs', at]).status !== 0)
    return null;
  mounts.push(at);
  return at;
}
const canMount = tmpfs('4k') !== null;
if (!canMount) console.warn('errors-cli.test: cannot mount a tmpfs (not root?): full-disk and read-only cases skipped');

beforeAll(async () => {
  config('a.json');
  config('b.json', { maxEpochs: 6 });
  const [r, other] = await Promise.all([sweepAsync('a.json', 'done.arrow'), sweepAsync('b.json', 'other-spec.arrow')]);
  expect(r.status, r.stderr).toBe(0);
  expect(other.status, other.stderr).toBe(0);
  writeFileSync(join(dir, 'not-arrow.arrow'), 'this is text, not Arrow IPC');
  cpSync(fixture, join(dir, 'wide'), { recursive: true });
  const wide = join(dir, 'wide', 'config.json');
  writeFileSync(wide, readFileSync(wide, 'utf8').replace('"n_embd": 64', '"n_embd": 128'));
  cpSync(fixture, join(dir, 'deep'), { recursive: true });
  const deep = join(dir, 'deep', 'config.json');
  writeFileSync(deep, readFileSync(deep, 'utf8').replace('"n_layer": 2', '"n_layer": 3'));
});

describe('the model', () => {
  it.concurrent.for([
    ['a missing model path', ['-m', './no-such-model'], /no-such-model/],
    ['a config that does not match the weights', ['-m', 'wide'], /wide.*(shape|128)/],
    ['a tensor the config needs and the checkpoint lacks', ['-m', 'deep'], /deep.*transformer\.h\.2/],
  ] as const)('%s exits 2 naming it', async ([, args, message], { expect }) => {
    const r = await runAsync(['tune', ...args, '--max-epochs', '2', '--inits', '1']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("tune's flags are checked before the model loads, each bad value named", async () => {
    const [search, epochs, graph, dtype] = await Promise.all([
      runAsync(['tune', '-m', './no-such-model', '--search', 'hardd']),
      runAsync(['tune', '-m', './no-such-model', '--max-epochs', '0']),
      runAsync(['tune', '-m', './no-such-model', '--cuda-graph']),
      runAsync(['bound', '-m', 'random:micro', '--entropy', '2', '--dtype', 'float16']),
    ]);
    expect(search.status, search.stderr).toBe(2);
    expect(search.stderr).toMatch(/--search: must be 'soft', 'hard' or 'hybrid', got 'hardd'/);
    expect(search.stderr).not.toMatch(/no-such-model/);
    expect(epochs.status, epochs.stderr).toBe(2);
    expect(epochs.stderr).toMatch(/--max-epochs: must be >= 1, got 0/);
    expect(graph.status, graph.stderr).toBe(2);
    expect(graph.stderr).toContain('--cuda-graph: needs a model on a CUDA device; --device is cpu');
    expect(graph.stderr).not.toMatch(/no-such-model/);
    expect(dtype.status, dtype.stderr).toBe(2);
    expect(dtype.stderr).toMatch(/dtype: must be 'float64' or 'float32', got 'float16'/);
  });

  it.concurrent.for([
    [['targets', '--kind', 'lm', '--count', '0', '-o', 'lm.json'], '--count: must be >= 1, got 0'],
    [['tune', '--kind', 'shuffled', '--count', '2.5'], '--count: must be an integer, got 2.5'],
    [['bound', '--kind', 'outlier', '--entropy', '3', '--outliers', '0'], '--outliers: must be >= 1, got 0'],
    [
      ['targets', '--kind', 'vanilla', '--entropy', '1', '--method', 'temp'],
      "--method: must be 'gradient' or 'temperature', got 'temp'",
    ],
    [
      ['tune', '--kind', 'pos-uniform', '--tag', 'nouns'],
      "--tag: must be 'noun', 'proper-noun', 'verb' or 'adjective', got 'nouns'",
    ],
    [['bound', '--entropy', '1:x:1'], "--entropy: expected 'start:stop:step' in bits"],
  ] as const)('%j: a target flag is named as typed, before the model loads', async ([args, message], { expect }) => {
    const r = await runAsync([...args, '-m', './no-such-model']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/no-such-model/);
  });

  it("a migrated target's missing source model is named as its source, not as the model", () => {
    const r = run([
      'targets',
      '--kind',
      'migrated',
      '--source',
      'random:nope',
      '--count',
      '1',
      '-m',
      'random:tiny-gpt2',
    ]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("the source model random:nope of migrated targets: unknown preset 'random:nope'");
  });

  it.skipIf(native().buildInfo().cudaBuild)('--device cuda on a CPU build exits 2 naming the device', () => {
    const r = sweep('a.json', 'cuda.arrow', '--device', 'cuda');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/device 'cuda'.*CPU-only/);
  });
});

describe('the output of a sweep', () => {
  it('--resume with another spec or another model exits 2 naming the file and what differs', () => {
    const spec2 = sweep('b.json', 'done.arrow', '--resume');
    expect(spec2.status, spec2.stderr).toBe(2);
    expect(spec2.stderr).toMatch(
      /cannot resume from done\.arrow: the sweep spec differs \(maxEpochs 5 in done\.arrow, 6 in this run\)/,
    );
    const model2 = sweep('a.json', 'done.arrow', '--resume', '-m', fixture);
    expect(model2.status, model2.stderr).toBe(2);
    expect(model2.stderr).toMatch(/cannot resume from done\.arrow: .*the model differs/);
  });

  it('rerunning over a finished file or an unfinished journal exits 2 naming it and what to do', async () => {
    const again = sweep('a.json', 'done.arrow');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/done\.arrow already exists: choose another output, pass --overwrite, or --resume/);
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    await (await ResultWriter.create(join(dir, 'unfinished.arrow'), { ...metadata, build: null })).close();
    const over = sweep('a.json', 'unfinished.arrow');
    expect(over.status).toBe(2);
    expect(over.stderr).toMatch(/unfinished\.arrow\.partial holds an unfinished run: continue it with --resume/);
  });

  it('an output holding a spec or a targets file is refused, with --overwrite or --resume too, and kept; targets never replace results', async () => {
    const spec = config('own-output.json');
    const specText = readFileSync(join(dir, spec), 'utf8');
    const made = await Promise.all(
      ['t-out.arrow', 't-out.json'].map((o) =>
        runAsync(['targets', '-m', 'random:micro', '--entropy', '1,2', '-o', o]),
      ),
    );
    for (const r of made) expect(r.status, r.stderr).toBe(0);
    const kept = ['t-out.arrow', 't-out.json'].map((f) => readFileSync(join(dir, f)));
    for (const more of [[], ['--overwrite'], ['--resume']]) {
      // Three outputs, each refused alone (a lock is the output's): the three run together.
      const [own, json, arrow] = await Promise.all([
        sweepAsync(spec, spec, ...more),
        runAsync(['merge', 'done.arrow', '-o', 't-out.json', ...more.filter((m) => m === '--overwrite')]),
        sweepAsync(spec, 't-out.arrow', ...more),
      ]);
      expect(own.status, own.stderr).toBe(2);
      expect(own.stderr).toContain(`${spec} exists and is not a results file (it does not open as an Arrow file does`);
      expect(json.status, json.stderr).toBe(2);
      expect(json.stderr).toContain('t-out.json exists and is not a results file');
      expect(arrow.status, arrow.stderr).toBe(2);
      expect(arrow.stderr).toContain(
        "t-out.arrow exists and is a targets file (as 'distprompt targets' writes), which would be lost",
      );
    }
    expect(readFileSync(join(dir, spec), 'utf8')).toBe(specText);
    expect(['t-out.arrow', 't-out.json'].map((f) => readFileSync(join(dir, f)))).toEqual(kept);
    // And the other way: targets --overwrite replaces targets, never results, the one thing no command draws again.
    const results = readFileSync(join(dir, 'done.arrow'));
    const over = run(['targets', '-m', 'random:micro', '--entropy', '1', '-o', 'done.arrow', '--overwrite']);
    expect(over.status, over.stderr).toBe(2);
    expect(over.stderr).toContain('-o done.arrow is a results file, which --overwrite would lose');
    expect(readFileSync(join(dir, 'done.arrow'))).toEqual(results);
  });

  it("a targets file written as an Arrow stream is told from a sweep's journal by its schema", async () => {
    // pyarrow writes targets as a stream as readily as a file; the toolkit reads either.
    expect(run(['targets', '-m', 'random:micro', '--entropy', '1,2', '-o', 'file-t.arrow']).status).toBe(0);
    const table = tableFromIPC(readFileSync(join(dir, 'file-t.arrow')));
    writeFileSync(join(dir, 'stream-t.arrow'), tableToIPC(table, 'stream'));
    const kept = readFileSync(join(dir, 'stream-t.arrow'));
    const onto = sweep(config('onto-stream.json'), 'stream-t.arrow', '--overwrite');
    expect(onto.status, onto.stderr).toBe(2);
    expect(onto.stderr).toContain("stream-t.arrow exists and is a targets file (as 'distprompt targets' writes)");
    expect(readFileSync(join(dir, 'stream-t.arrow'))).toEqual(kept);
    // targets --overwrite replaces targets, whichever way they were written; a journal it keeps.
    const again = run(['targets', '-m', 'random:micro', '--entropy', '3', '-o', 'stream-t.arrow', '--overwrite']);
    expect(again.status, again.stderr).toBe(0);
    expect(readTargetFile(join(dir, 'stream-t.arrow'), 1000).rows).toBe(1);
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    await (await ResultWriter.create(join(dir, 'journal-kept.arrow'), { ...metadata, build: null })).close();
    const journal = journalPath(join(dir, 'journal-kept.arrow'));
    const rows = readFileSync(journal);
    const lost = run(['targets', '-m', 'random:micro', '--entropy', '1', '-o', journal, '--overwrite']);
    expect(lost.status, lost.stderr).toBe(2);
    expect(lost.stderr).toContain("is a sweep's journal (its rows so far), which --overwrite would lose");
    expect(readFileSync(journal)).toEqual(rows);
  });

  it('an output that is a directory, with or without --overwrite, or in a missing folder exits 2 naming it', () => {
    mkdirSync(join(dir, 'a-folder'));
    for (const extra of [[], ['--overwrite']]) {
      const r = sweep('a.json', 'a-folder', ...extra);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /output a-folder is a directory: give a results file name, e\.g\. a-folder\/results\.arrow/,
      );
    }
    const missing = sweep('a.json', 'no-folder/r.arrow');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/the folder no-folder of the output no-folder\/r\.arrow does not exist/);
    expect(readdirSync(dir).filter((n) => n.startsWith('a-folder.'))).toEqual([]);
  });

  it('a figures or study folder that is a file exits 2 naming it, before any work', () => {
    const figures = run(['sweep', '-c', 'a.json', '-o', 'figs.arrow', '--figures', 'a.json', '-q']);
    expect(figures.status, figures.stderr).toBe(2);
    expect(figures.stderr).toMatch(/a\.json is a file, not a folder: give a folder, or move the file away/);
    expect(existsSync(join(dir, 'figs.arrow'))).toBe(false);
    expect(existsSync(join(dir, journalPath('figs.arrow')))).toBe(false);
    const nested = run(['plot', 'done.arrow', '-o', 'a.json/figures']);
    expect(nested.status, nested.stderr).toBe(2);
    expect(nested.stderr).toMatch(/a\.json \(on the path of the folder a\.json\/figures\) is a file, not a folder/);
    const study = run(['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '-o', 'a.json', '-q']);
    expect(study.status, study.stderr).toBe(2);
    expect(study.stderr).toMatch(/a\.json is a file, not a folder/);
  });

  it('--devices with another device count than the unfinished run exits 2 naming its journals', async () => {
    // The journal of shard 1 of a 2-device run, as an interrupted worker leaves it.
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    const shard = { ...metadata, build: null, shard: { index: 1, count: 2 } };
    await (await ResultWriter.create(join(dir, 'dev.shard1of2.arrow'), shard)).close();
    for (const extra of [['--resume'], []]) {
      const r = sweep('a.json', 'dev.arrow', '--devices', 'cpu,cpu,cpu', ...extra);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /dev\.shard1of2\.arrow\.partial hold rows of a run of dev\.arrow split 2 ways \(on 2 devices, or by --shard i\/2\), which a run on 3 would neither resume nor merge/,
      );
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('dev.shard') && n.includes('of3'))).toEqual([]);
    // A study on devices: each of its sweeps' shard journals alike.
    mkdirSync(join(dir, 'st-dev'));
    await (await ResultWriter.create(join(dir, 'st-dev', 'vanilla.random_micro.shard0of2.arrow'), shard)).close();
    const onThree = ['--devices', 'cpu,cpu,cpu', '-o', 'st-dev', '--resume', '-q'];
    const st = run(['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', ...onThree]);
    expect(st.status, st.stderr).toBe(2);
    expect(st.stderr).toMatch(
      /st-dev\/vanilla\.random_micro\.shard0of2\.arrow\.partial hold rows of a run of .* split 2 ways/,
    );
  });

  it('--resume removes the temporary a killed final write left (a fresh run checks the same way)', () => {
    const stale = join(dir, 'stale.arrow.tmp-999999999-1700000000000');
    writeFileSync(stale, 'half an Arrow file');
    expect(sweep('a.json', 'stale.arrow', '--resume').status).toBe(0);
    expect(existsSync(stale)).toBe(false);
  });

  it.skipIf(!canMount)('a read-only file system exits 1 naming the output, before any work', () => {
    const at = tmpfs('64k', true)!;
    const r = sweep('a.json', join(at, 'r.arrow'));
    expect(r.status, r.stderr).toBe(1);
    // Named by the file the user gave, not by the journal or lock made beside it, and before the model loads.
    expect(r.stderr).toContain(`${join(at, 'r.arrow')} is on a read-only file system`);
    expect(r.stderr).not.toMatch(/synthesising|r\.arrow\.(partial|lock)/);
    // The plan refuses as the run does.
    const plan = sweep('a.json', join(at, 'r.arrow'), '--plan');
    expect(plan.status, plan.stderr).toBe(1);
    expect(plan.stderr).toContain(`${join(at, 'r.arrow')} is on a read-only file system`);
    // targets made its targets (minutes for a big set) before it found it could not write them.
    const targets = run(['targets', '-m', './no-such-model', '--entropy', '1', '-o', join(at, 't.json')]);
    expect(targets.status, targets.stderr).toBe(1);
    expect(targets.stderr).toContain(`${join(at, 't.json')} is on a read-only file system`);
    expect(targets.stderr).not.toMatch(/no-such-model/);
  });

  it.skipIf(!canMount)(
    'a full disk exits 1 saying so, keeps the finished rows, and --resume completes once there is space',
    async () => {
      const at = tmpfs('8k')!;
      const out = join(at, 'r.arrow');
      const full = sweep(config('many.json', { inits: 3, batchSize: 1 }), out);
      expect(full.status, full.stderr).toBe(1);
      expect(full.stderr).toMatch(/disk full \(ENOSPC\) while writing .*r\.arrow(\.partial)?: .*rerun with --resume/);
      expect(full.stderr).not.toMatch(/planned row\(s\) have no result/);
      expect(existsSync(out)).toBe(false);
      expect(spawnSync('mount', ['-o', 'remount,size=1m', at]).status).toBe(0);
      const resumed = sweep('many.json', out, '--resume');
      expect(resumed.status, resumed.stderr).toBe(0);
      expect((await readResults(out)).records).toHaveLength(6);
    },
  );
});

describe('results files', () => {
  it.each([
    ['plot', ['plot', 'not-arrow.arrow', '-o', 'figs']],
    ['report', ['report', 'not-arrow.arrow', '-o', 'r.html']],
    ['merge', ['merge', 'done.arrow', 'not-arrow.arrow', '-o', 'm.arrow']],
  ])('%s of a file that is not Arrow exits 2 naming it', (_what, args) => {
    const r = run(args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/not-arrow\.arrow is not a results file/);
  });

  it('plot, report, merge and --reuse of a targets file exit 2 naming it as one', () => {
    expect(run(['targets', '-m', 'random:micro', '--entropy', '1', '-o', 'tgt.arrow']).status).toBe(0);
    for (const args of [
      ['plot', 'tgt.arrow', '-o', 'tgt-figs'],
      ['report', 'tgt.arrow', '-o', 'tgt.html'],
      ['merge', 'tgt.arrow', '-o', 'tgt-merged.arrow'],
      ['sweep', '-c', 'a.json', '--reuse', 'tgt.arrow', '-o', 'tgt-reuse.arrow', '-q'],
    ]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain("tgt.arrow is a targets file (as 'distprompt targets' writes), not a results file");
    }
  });

  it('sweep --config of a results, journal or targets file, or of a missing one, exits 2 saying what it is', async () => {
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    await (await ResultWriter.create(join(dir, 'as-spec.arrow'), { ...metadata, build: null })).close();
    for (const given of ['done.arrow', journalPath('as-spec.arrow')]) {
      const r = run(['sweep', '-c', given, '-q']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--config ${given} is an Arrow file (results or targets), not a sweep spec (JSON)`);
    }
    const row = [0.5, ...Array.from({ length: 999 }, () => 0.5 / 999)];
    writeFileSync(join(dir, 'as-spec.json'), JSON.stringify({ vocabSize: 1000, meta: [{ id: 'a' }], targets: [row] }));
    const targets = run(['sweep', '-c', 'as-spec.json', '-q']);
    expect(targets.status, targets.stderr).toBe(2);
    expect(targets.stderr).toContain(
      '--config as-spec.json is a targets file, not a sweep spec: name it in one of a spec\'s target entries: {"kind": "file", "path": "as-spec.json"}',
    );
    const tensors = run(['targets', '-m', 'random:micro', '--entropy', '2', '-o', 'as-spec.safetensors']);
    expect(tensors.status, tensors.stderr).toBe(0);
    const safetensors = run(['sweep', '-c', 'as-spec.safetensors', '-q']);
    expect(safetensors.status, safetensors.stderr).toBe(2);
    expect(safetensors.stderr).toContain(
      '--config as-spec.safetensors is a safetensors file (targets or weights), not a sweep spec (JSON)',
    );
    const missing = run(['sweep', '-c', 'no-such-spec.json', '-q']);
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('--config no-such-spec.json: cannot read it (it does not exist)');
  });

  it('merge into a missing folder or a directory exits 2 naming the output, not its lock', () => {
    const missing = run(['merge', 'done.arrow', '-o', 'no-folder/m.arrow']);
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(/the folder no-folder of the output no-folder\/m\.arrow does not exist/);
    mkdirSync(join(dir, 'merge-folder'));
    const folder = run(['merge', 'done.arrow', '-o', 'merge-folder', '--overwrite']);
    expect(folder.status, folder.stderr).toBe(2);
    expect(folder.stderr).toMatch(/output merge-folder is a directory: give a results file name/);
  });

  // Root may write anywhere, so the case runs as the unprivileged user 'nobody' (skipped elsewhere).
  it.skipIf(!canRunAsNobody)(
    'merge into a folder this user may not write exits 2 naming the output, not its lock',
    () => {
      const shared = mkdtempSync(join(dir, 'shared-'));
      const closed = join(shared, 'closed');
      mkdirSync(closed);
      cpSync(join(dir, 'done.arrow'), join(shared, 'done.arrow'));
      chmodSync(dir, 0o755);
      chmodSync(shared, 0o755);
      chmodSync(join(shared, 'done.arrow'), 0o644);
      chmodSync(closed, 0o555);
      const r = runCliAsNobody(['merge', 'done.arrow', '-o', 'closed/m.arrow'], shared);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('no permission to write closed/m.arrow (EACCES): choose another output');
      expect(r.stderr).not.toMatch(/\.lock/);
    },
  );

  it('shards of a file-target sweep merge (by merge and after --devices); from another folder the file is named', async () => {
    const row = (v: number) => [v, ...Array.from({ length: 999 }, () => (1 - v) / 999)];
    writeFileSync(join(dir, 'three.json'), JSON.stringify({ targets: [row(0.5), row(0.2), row(0.9)] }));
    const cfg = config('file-shards.json', { targets: [{ kind: 'file', path: 'three.json' }], bound: false });
    for (const i of [0, 1]) expect(sweep(cfg, `fs${i}.arrow`, '--shard', `${i}/2`).status).toBe(0);
    const merged = run(['merge', 'fs0.arrow', 'fs1.arrow', '-o', 'fs.arrow']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toBe('fs.arrow: 3 rows merged from 2 files\n');
    const json = run(['merge', 'fs0.arrow', 'fs1.arrow', '-o', 'fs.arrow', '--overwrite', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ out: 'fs.arrow', rows: 3, missing: [] });
    const devices = sweep(cfg, 'fs-devices.arrow', '--devices', 'cpu,cpu');
    expect(devices.status, devices.stderr).toBe(0);
    mkdirSync(join(dir, 'elsewhere'));
    const away = spawnSync(process.execPath, [cli, 'merge', '../fs0.arrow', '../fs1.arrow', '-o', 'fs.arrow'], {
      cwd: join(dir, 'elsewhere'),
      encoding: 'utf8',
    });
    expect(away.status, away.stderr).toBe(2);
    expect(away.stderr).toMatch(
      /cannot merge: .* reads its targets file, and targets file three\.json: cannot read it \(it does not exist in the working folder, .*elsewhere\) \(run merge in the folder the sweep ran in\)/,
    );
    // The spec names the file, not its contents: a resume or merge across an edit is refused.
    const { metadata } = await readResults(join(dir, 'fs0.arrow'));
    await (await ResultWriter.create(join(dir, 'fs-resume.arrow'), { ...metadata, build: null })).close();
    writeFileSync(join(dir, 'three.json'), JSON.stringify({ targets: [row(0.4), row(0.2), row(0.9)] }));
    const resumed = sweep(cfg, 'fs-resume.arrow', '--shard', '0/2', '--resume');
    expect(resumed.status, resumed.stderr).toBe(2);
    expect(resumed.stderr).toMatch(
      /the targets file three\.json had other contents when \S*fs-resume\.arrow\S* was run \(its rows hold other targets\)/,
    );
    expect(sweep(cfg, 'fs1-edited.arrow', '--shard', '1/2').status).toBe(0);
    const edited = run(['merge', 'fs0.arrow', 'fs1-edited.arrow', '-o', 'fs-edited.arrow']);
    expect(edited.status, edited.stderr).toBe(2);
    expect(edited.stderr).toMatch(
      /cannot merge fs1-edited\.arrow with fs0\.arrow: the targets file three\.json had other contents when fs1-edited\.arrow was run/,
    );
  });

  it('merge of different specs or of overlapping shards exits 2 naming the files', () => {
    const specs = run(['merge', 'done.arrow', 'other-spec.arrow', '-o', 'm.arrow']);
    expect(specs.status).toBe(2);
    expect(specs.stderr).toMatch(
      /cannot merge other-spec\.arrow with done\.arrow: the sweep spec differs \(maxEpochs 6 in other-spec\.arrow, 5 in done\.arrow\)/,
    );
    cpSync(join(dir, 'done.arrow'), join(dir, 'copy.arrow'));
    const overlap = run(['merge', 'done.arrow', 'copy.arrow', '-o', 'm.arrow']);
    expect(overlap.status).toBe(2);
    expect(overlap.stderr).toMatch(/row\(s\) appear in more than one file: .*in done\.arrow and copy\.arrow/);
    expect(existsSync(join(dir, 'm.arrow'))).toBe(false);
  });
});

describe('targets files', () => {
  /** 1000 values: `v` at token 0, then 999 summing to 0.5. */
  const row = (v: unknown) => [v, ...Array.from({ length: 999 }, () => 0.5 / 999)];

  it('a results file given as targets is named as one, not as an Arrow file without a target column', () => {
    for (const command of ['tune', 'bound']) {
      const r = run([command, '--targets', 'done.arrow', '-m', 'random:micro']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        'targets file done.arrow: it is a results file (as a sweep writes), not a targets file',
      );
    }
  });

  it('a corrupt safetensors targets file exits 2 naming it, not a bare JSON parser message', () => {
    writeFileSync(
      join(dir, 'bad.safetensors'),
      Buffer.concat([Buffer.from([13, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"targets": x')]),
    );
    const r = run(['tune', '-m', 'random:micro', '--targets', 'bad.safetensors', '--max-epochs', '2', '--inits', '1']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/targets file bad\.safetensors: header is not valid JSON/);
  });

  // The same reader in-process: no model needed, the CLI's exit code is the class's (above).
  it.each([
    ['null', null],
    ['a string', '0.001'],
    ['true', true],
    ['a list', [0.5]],
  ])('a JSON target holding %s is rejected naming the target and the token', (_what, bad) => {
    const path = join(dir, `coerced-${String(_what).replace(/ /g, '-')}.json`);
    writeFileSync(path, JSON.stringify({ targets: [row(0.5), row(bad)] }));
    expect(() => readTargetFile(path, 1000)).toThrow(
      `targets file ${path}: target 1 holds ${JSON.stringify(bad)} at token 0, not a finite number`,
    );
  });

  it.each([
    ['JSON', 'bad.json', '{"targets": [[0.5, 0.5]', /targets file .*bad\.json: not valid JSON/],
    [
      'Arrow',
      'bad.arrow',
      'ARROW1 and then nonsense bytes',
      /targets file .*bad\.arrow: (cannot read it as Arrow \(not Arrow IPC, or truncated|no 'target' column)/,
    ],
  ])('a corrupt %s targets file is rejected naming it', (_what, name, bytes, message) => {
    writeFileSync(join(dir, name), bytes);
    expect(() => readTargetFile(join(dir, name), 1000)).toThrow(message);
  });

  it('an invalid file target exits 2 and leaves no journal, so the corrected rerun just runs', () => {
    writeFileSync(join(dir, 'sums.json'), JSON.stringify({ targets: [row(0.9)] }));
    const cfg = config('file.json', { targets: [{ kind: 'file', path: 'sums.json' }] });
    const bad = sweep(cfg, 'file.arrow');
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/targets file sums\.json: target 0 is not a distribution: it sums to 1\.(4|39)/);
    expect(existsSync(join(dir, journalPath('file.arrow')))).toBe(false);
    writeFileSync(join(dir, 'sums.json'), JSON.stringify({ targets: [row(0.5)] }));
    const fixed = sweep(cfg, 'file.arrow');
    expect(fixed.status, fixed.stderr).toBe(0);
  });
});
