// Downloads that cannot finish: a hub that stops answering fails after HF_HUB_DOWNLOAD_TIMEOUT
// seconds of silence (as Python's huggingface_hub does) instead of waiting minutes, leaving nothing
// a later run could take for a finished file; a cache folder that cannot be written is named as
// the cause, not the network; downloads of one model at once, or after a killed one, all finish;
// and what a download must fetch (a slow tokenizer's files) or need not (a random twin's weights).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exitCodeFor } from '../lib/index.js';
import { HubError, resolveModel } from '../lib/hub/index.js';
import { loadModel } from '../lib/index.js';
import { posCounts } from '../lib/study/pos-counts.js';
import { startFakeHub, type FakeHub } from './helpers/fake-hub.js';
import { rejectionOf } from './helpers/rejection.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const SHA = 'a'.repeat(40);
const tmp = mkdtempSync(join(tmpdir(), 'distprompt-hub-failures-'));
let n = 0;
const freshCache = () => join(tmp, `cache-${n++}`);

let hub: FakeHub;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  hub = await startFakeHub({
    'tiny/gpt2': {
      sha: SHA,
      files: {
        'config.json': readFileSync(join(GOLDEN, 'config.json')),
        'model.safetensors': readFileSync(join(GOLDEN, 'model.safetensors')),
      },
    },
    'tiny/slow-tokenizer': {
      sha: SHA,
      files: {
        'config.json': readFileSync(join(GOLDEN, 'config.json')),
        'model.safetensors': readFileSync(join(GOLDEN, 'model.safetensors')),
        'vocab.json': Buffer.from(JSON.stringify({ a: 0, b: 1, ab: 2 })),
        'merges.txt': Buffer.from('#version: 0.2\na b\n'),
      },
    },
    'tiny/private': {
      sha: SHA,
      token: 'hf_testtoken123',
      files: {
        'config.json': readFileSync(join(GOLDEN, 'config.json')),
        'model.safetensors': readFileSync(join(GOLDEN, 'model.safetensors')),
      },
    },
  });
  // Accepts connections and never answers.
  silent = createServer(() => {});
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await hub.close();
  silent.closeAllConnections();
  await new Promise((ok) => silent.close(ok));
  rmSync(tmp, { recursive: true, force: true });
});

const hubError = (p: Promise<unknown>): Promise<HubError> => rejectionOf(p, HubError);

describe('HF_HUB_DOWNLOAD_TIMEOUT', () => {
  it('a hub that never answers fails after the timeout, naming it', async () => {
    const t0 = Date.now();
    const env = { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: silentUrl, HF_HUB_DOWNLOAD_TIMEOUT: '0.5' };
    const e = await hubError(resolveModel('tiny/gpt2', { env }));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(e.code).toBe('download-failed');
    expect(e.message).toContain(`the hub at ${silentUrl} sent nothing for 0.5 s`);
    expect(e.message).toContain('HF_HUB_DOWNLOAD_TIMEOUT');
  }, 10_000); // without a timeout of its own the request would wait minutes

  it('a file that stops halfway fails, leaves no partial file, and a retry succeeds', async () => {
    const cacheDir = freshCache();
    const env = { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url, HF_HUB_DOWNLOAD_TIMEOUT: '0.5' };
    hub.stall.add('model.safetensors');
    try {
      const e = await hubError(resolveModel('tiny/gpt2', { env }));
      expect(e.code).toBe('download-failed');
      expect(e.message).toMatch(/sent nothing for 0\.5 s \(\/tiny\/gpt2\/resolve\/a+\/model\.safetensors\)/);
    } finally {
      hub.stall.delete('model.safetensors');
    }
    const repoDir = join(cacheDir, 'models--tiny--gpt2');
    expect(existsSync(join(repoDir, 'snapshots', SHA, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(repoDir, 'refs', 'main'))).toBe(false);
    expect(readdirSync(join(repoDir, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    const dir = await resolveModel('tiny/gpt2', { env });
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(GOLDEN, 'model.safetensors')))).toBe(
      true,
    );
  }, 10_000);

  it.each(['abc', '0', '-3'])('%s is refused before any request', async (value) => {
    const before = hub.requests.length;
    const env = { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url, HF_HUB_DOWNLOAD_TIMEOUT: value };
    const e = await hubError(resolveModel('tiny/gpt2', { env }));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toContain(`HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds above 0, got '${value}'`);
    expect(hub.requests.length).toBe(before);
  });
});

it('a cache folder that cannot be written is named, with what to do, as an error of the input', async () => {
  // A file where the cache's folder should be: what root meets too (permissions do not stop it).
  const blocker = join(tmp, 'not-a-folder');
  writeFileSync(blocker, '');
  const cacheDir = join(blocker, 'hub');
  const e = await hubError(
    resolveModel('tiny/gpt2', { env: { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url } }),
  );
  expect(e.code).toBe('cache');
  expect(e.message).toContain(`cannot write the Hugging Face cache at ${cacheDir} (ENOTDIR on ${cacheDir}/`);
  expect(e.message).toContain('set HF_HUB_CACHE (or HF_HOME) to a folder you can write');
  expect(exitCodeFor(e)).toBe(2);
});

describe('HF_ENDPOINT and HF_TOKEN', () => {
  it.each(['not-a-url', 'ftp://127.0.0.1/hub', 'huggingface.co'])(
    "HF_ENDPOINT '%s' is refused naming it, before any request",
    async (value) => {
      const e = await hubError(
        resolveModel('tiny/gpt2', { env: { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: value } }),
      );
      expect(e.code).toBe('bad-argument');
      expect(e.message).toBe(`HF_ENDPOINT '${value}' is not an http(s) URL such as https://huggingface.co`);
      expect(exitCodeFor(e)).toBe(2);
    },
  );

  it('an empty HF_ENDPOINT is unset; an endpoint option is named as such', async () => {
    const env = { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: '' };
    const e = await hubError(resolveModel('tiny/gpt2', { env, endpoint: 'nope' }));
    expect(e.message).toMatch(/^endpoint 'nope' is not an http\(s\) URL/);
  });

  it('without HF_TOKEN, the token huggingface-cli login saved (HF_HOME/token, HF_TOKEN_PATH) is used', async () => {
    const home = mkdtempSync(join(tmp, 'hf-home-'));
    writeFileSync(join(home, 'token'), 'hf_testtoken123\n');
    const base = { HOME: tmp, HF_ENDPOINT: hub.url, HF_TOKEN: '' };
    await resolveModel('tiny/private', { env: { ...base, HF_HUB_CACHE: freshCache(), HF_HOME: home } });
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_testtoken123');
    const elsewhere = join(tmp, 'my-token');
    writeFileSync(elsewhere, 'not a token');
    const e = await hubError(
      resolveModel('tiny/private', { env: { ...base, HF_HUB_CACHE: freshCache(), HF_TOKEN_PATH: elsewhere } }),
    );
    expect(e.message).toBe(`the token in ${elsewhere} does not look like a Hugging Face token (they start with "hf_")`);
  });

  it('spaces and a line end around HF_TOKEN are not part of it', async () => {
    const env = { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url, HF_TOKEN: '  hf_testtoken123\n' };
    const dir = await resolveModel('tiny/private', { env });
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_testtoken123');
  });
});

it('a config.json that arrives with wrong bytes is removed, not kept in the cache for later runs', async () => {
  const cacheDir = freshCache();
  const env = { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url };
  hub.corrupt.add('config.json');
  try {
    const e = await hubError(resolveModel('tiny/gpt2', { env }));
    expect(e.code).toBe('download-failed');
    expect(e.message).toMatch(/downloaded config\.json is corrupt \(git blob id [0-9a-f]{40} does not match/);
  } finally {
    hub.corrupt.delete('config.json');
  }
  expect(existsSync(join(cacheDir, 'models--tiny--gpt2', 'snapshots', SHA, 'config.json'))).toBe(false);
  const dir = await resolveModel('tiny/gpt2', { env });
  expect(readFileSync(join(dir, 'config.json')).equals(readFileSync(join(GOLDEN, 'config.json')))).toBe(true);
});

it("a repo whose tokenizer is GPT-2's slow pair (vocab.json, merges.txt) is downloaded with it", async () => {
  const env = { HOME: tmp, HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url };
  const dir = await resolveModel('tiny/slow-tokenizer', { env });
  const model = await loadModel(dir);
  try {
    expect(model.tokenizer?.tokenText(2)).toBe('ab');
  } finally {
    model.dispose();
  }
});

it('a random twin of a repo downloads its config and tokenizer, not its weights; a load later fetches them', async () => {
  const cacheDir = freshCache();
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = cacheDir;
  const before = hub.requests.length;
  try {
    const twin = await loadModel('random:tiny/slow-tokenizer', { endpoint: hub.url });
    expect(twin.info.layers).toBe(2);
    expect(twin.tokenizer?.tokenText(2)).toBe('ab');
    twin.dispose();
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
  const fetched = hub.requests.slice(before).map((r) => r.url);
  expect(fetched.some((u) => u.endsWith('/config.json'))).toBe(true);
  expect(fetched.some((u) => u.includes('model.safetensors'))).toBe(false);
  const dir = await resolveModel('tiny/slow-tokenizer', {
    env: { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url },
  });
  expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(GOLDEN, 'model.safetensors')))).toBe(
    true,
  );
});

it("the study's part-of-speech counts of a hub model read its tokenizer (a slow one too), never its weights", async () => {
  const saved = { cache: process.env.HF_HUB_CACHE, endpoint: process.env.HF_ENDPOINT };
  process.env.HF_HUB_CACHE = freshCache();
  process.env.HF_ENDPOINT = hub.url;
  const before = hub.requests.length;
  let counts: Record<string, number> | null;
  let vocab: number | undefined;
  try {
    counts = await posCounts('tiny/slow-tokenizer');
    const dir = await resolveModel('tiny/slow-tokenizer', { configOnly: true });
    vocab = Object.keys(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8'))).length;
  } finally {
    for (const [k, v] of [
      ['HF_HUB_CACHE', saved.cache],
      ['HF_ENDPOINT', saved.endpoint],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
  // every token of the tokenizer is counted once, under one tag
  expect(counts).not.toBeNull();
  expect(vocab).toBeGreaterThan(0);
  expect(Object.values(counts!).reduce((a, b) => a + b, 0)).toBe(vocab);
  const fetched = hub.requests.slice(before).map((r) => r.url);
  expect(fetched.some((u) => u.endsWith('/vocab.json'))).toBe(true);
  expect(fetched.some((u) => u.includes('model.safetensors'))).toBe(false);
});

it('downloads of one model at once (workers, shards, parallel loads) each finish, with one copy in the cache', async () => {
  const cacheDir = freshCache();
  const env = { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url };
  hub.slow.add('model.safetensors');
  let dirs: string[];
  try {
    dirs = await Promise.all([0, 1, 2].map(() => resolveModel('tiny/gpt2', { env })));
  } finally {
    hub.slow.delete('model.safetensors');
  }
  const want = readFileSync(join(GOLDEN, 'model.safetensors'));
  for (const dir of dirs) expect(readFileSync(join(dir, 'model.safetensors')).equals(want)).toBe(true);
  const blobs = readdirSync(join(cacheDir, 'models--tiny--gpt2', 'blobs'));
  expect(blobs.filter((b) => b.endsWith('.incomplete'))).toEqual([]);
  expect(blobs).toHaveLength(2); // config.json and model.safetensors
});

it("a killed run's partial file is never taken for the blob, and is removed by the next download", async () => {
  const cacheDir = freshCache();
  const env = { HOME: tmp, HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url };
  const blobs = join(cacheDir, 'models--tiny--gpt2', 'blobs');
  mkdirSync(blobs, { recursive: true });
  const etag = createHash('sha256')
    .update(readFileSync(join(GOLDEN, 'model.safetensors')))
    .digest('hex');
  const dead = spawnSync(process.execPath, ['-e', '']).pid; // a process that has exited
  const partial = join(blobs, `${etag}.${hostname()}.${dead}-1.incomplete`);
  writeFileSync(partial, 'half a file');
  // One whose pid a live process now has, started after the file's last write (a restarted
  // container reuses pids): not that process's, removed too.
  const reuser = spawn('sleep', ['60']);
  const reused = join(blobs, `${etag}.${hostname()}.${reuser.pid}-1.incomplete`);
  writeFileSync(reused, 'half a file');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(reused, hourAgo, hourAgo);
  try {
    const dir = await resolveModel('tiny/gpt2', { env });
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(GOLDEN, 'model.safetensors')))).toBe(
      true,
    );
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(reused)).toBe(false);
  } finally {
    reuser.kill();
  }
});

describe('a misspelt local path that reads as a repo id', () => {
  // 'checkpoints/step-1000' is a repo id when no such folder exists: before, the hub's answer alone
  // ('not found', or a failed download) left the user looking for a network fault.
  const cwd = process.cwd();
  const here = join(tmp, 'workdir');
  beforeAll(() => {
    mkdirSync(join(here, 'checkpoints', 'step-1000'), { recursive: true });
    process.chdir(here);
  });
  afterAll(() => process.chdir(cwd));
  const hint =
    "(read as a Hugging Face repo id because there is no folder 'checkpoints/step-100', though there is a folder " +
    "'checkpoints': if you meant a local model, check its name)";

  it.each([
    ['offline', { HF_HUB_OFFLINE: '1' }],
    ['not on the hub', {}],
  ])('%s: the hub error says the local folder was not found', async (code, env) => {
    const e = await hubError(
      resolveModel('checkpoints/step-100', {
        env: { HOME: tmp, HF_HUB_CACHE: freshCache(), ...env },
        endpoint: hub.url,
      }),
    );
    expect(e.code).toBe(code === 'offline' ? 'offline' : 'not-found');
    expect(e.message.endsWith(hint)).toBe(true);
  });

  it('a repo id whose first part is no local folder is told as before', async () => {
    const e = await hubError(
      resolveModel('tiny/absent', { env: { HOME: tmp, HF_HUB_CACHE: freshCache() }, endpoint: hub.url }),
    );
    expect(e.message).not.toMatch(/read as a Hugging Face repo id/);
  });
});
