import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../lib/checkpoint/index.js';
import { HubError, hubCacheDir, resolveModel, snapshotComplete } from '../lib/hub/index.js';
import { startFakeHub, type FakeHub } from './helpers/fake-hub.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'hf-golden');
const read = (...p: string[]) => readFileSync(join(GOLDEN, ...p));
const SHA_A = 'a'.repeat(40);
const SHA_S = '5'.repeat(40);
const SHA_P = 'b'.repeat(40);
const TOKEN = 'hf_testtoken123';

let hub: FakeHub;
const tmp = mkdtempSync(join(tmpdir(), 'distprompt-hub-'));
let n = 0;
const freshCache = () => join(tmp, `cache-${n++}`);
const env = (extra: Record<string, string> = {}) => ({ HOME: tmp, ...extra }); // never the real HF env

beforeAll(async () => {
  hub = await startFakeHub({
    'tiny/gpt2': {
      sha: SHA_A,
      files: {
        'config.json': read('a_gpt2', 'config.json'),
        'model.safetensors': read('a_gpt2', 'model.safetensors'),
        'tokenizer_config.json': Buffer.from('{"model_max_length": 64}'),
        'README.md': Buffer.from('# not needed'),
      },
    },
    'tiny/gpt2-sharded': {
      sha: SHA_S,
      files: Object.fromEntries(
        [
          'config.json',
          'model.safetensors.index.json',
          'model-00001-of-00002.safetensors',
          'model-00002-of-00002.safetensors',
        ].map((f) => [f, read('g_gpt2_sharded', f)]),
      ),
    },
    'tiny/private': {
      sha: SHA_A,
      token: TOKEN,
      files: { 'config.json': read('a_gpt2', 'config.json'), 'model.safetensors': read('a_gpt2', 'model.safetensors') },
    },
    'tiny/pickled': {
      sha: SHA_P,
      files: { 'config.json': read('a_gpt2', 'config.json'), 'pytorch_model.bin': Buffer.from('pickle bytes') },
    },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function hubError(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HubError);
    return e as HubError;
  }
  throw new Error('expected a HubError');
}

describe('cache location', () => {
  it('follows HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME or ~/.cache, as huggingface_hub does', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' })).toBe('/a');
    expect(hubCacheDir({ HF_HOME: '/b', XDG_CACHE_HOME: '/x' })).toBe('/b/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(hubCacheDir({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
    // An empty XDG_CACHE_HOME (exported unset) is no folder: not a cache relative to where it runs.
    expect(hubCacheDir({ XDG_CACHE_HOME: '', HOME: '/h' })).toBe('/h/.cache/huggingface/hub');
  });
});

describe('resolveModel', () => {
  it('returns an existing local directory as is', async () => {
    expect(await resolveModel(join(GOLDEN, 'a_gpt2'))).toBe(join(GOLDEN, 'a_gpt2'));
  });

  it('names a missing directory instead of trying the hub', async () => {
    const e = await hubError(resolveModel('./no/such/dir', { env: env() }));
    expect(e.code).toBe('bad-argument');
    expect(e.message).toContain('./no/such/dir');
  });

  it('downloads into the HF cache layout, pinned to one commit, then hits the cache', async () => {
    const cacheDir = freshCache();
    const before = hub.requests.length;
    const dir = await resolveModel('tiny/gpt2', { env: env({ HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url }) });
    expect(dir).toBe(join(cacheDir, 'models--tiny--gpt2', 'snapshots', SHA_A));
    expect(readFileSync(join(cacheDir, 'models--tiny--gpt2', 'refs', 'main'), 'utf8')).toBe(SHA_A);
    // Files are symlinks into blobs/, as Python's huggingface_hub lays them out, with the right bytes.
    expect(lstatSync(join(dir, 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(read('a_gpt2', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'tokenizer_config.json'))).toBe(true);
    expect(existsSync(join(dir, 'README.md'))).toBe(false); // only what a load needs
    expect(readdirSync(join(cacheDir, 'models--tiny--gpt2', 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(
      false,
    );
    const ckpt = await readCheckpoint(dir);
    expect(ckpt.tensorNames.has('transformer.wte.weight')).toBe(true);
    expect(hub.requests.length).toBeGreaterThan(before);

    const after = hub.requests.length;
    expect(await resolveModel('tiny/gpt2', { env: env({ HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url }) })).toBe(dir);
    expect(
      await resolveModel(`tiny/gpt2@${SHA_A}`, { env: env({ HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '1' }) }),
    ).toBe(dir);
    expect(hub.requests.length).toBe(after); // no network on a cache hit
  });

  it('finds the cache through HF_HOME too, and opts.endpoint overrides HF_ENDPOINT', async () => {
    const home = freshCache();
    const dir = await resolveModel('tiny/gpt2', {
      endpoint: hub.url,
      env: env({ HF_HOME: home, HF_ENDPOINT: 'http://127.0.0.1:1' }),
    });
    expect(dir).toBe(join(home, 'hub', 'models--tiny--gpt2', 'snapshots', SHA_A));
  });

  it('downloads every shard of a sharded checkpoint', async () => {
    const cacheDir = freshCache();
    const dir = await resolveModel('tiny/gpt2-sharded', { env: env({ HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url }) });
    const ckpt = await readCheckpoint(dir);
    expect(ckpt.files).toHaveLength(2);
    expect(await snapshotComplete(dir)).toBe(true);
  });

  it('writes nothing to stdout while downloading (so --json output stays parseable)', async () => {
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const log = console.log,
      debug = console.debug;
    process.stdout.write = ((chunk: string | Uint8Array) => (
      written.push(String(chunk)),
      true
    )) as typeof process.stdout.write;
    console.log = console.debug = (...a: unknown[]) => void written.push(a.join(' '));
    try {
      await resolveModel('tiny/gpt2-sharded', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url }) });
    } finally {
      process.stdout.write = write;
      console.log = log;
      console.debug = debug;
    }
    expect(written).toEqual([]);
  });

  it('offline mode with the model not cached is a clear error, and makes no request', async () => {
    const before = hub.requests.length;
    const e = await hubError(
      resolveModel('tiny/gpt2', {
        env: env({ HF_HUB_CACHE: freshCache(), HF_HUB_OFFLINE: '1', HF_ENDPOINT: hub.url }),
      }),
    );
    expect(e.code).toBe('offline');
    expect(e.message).toMatch(/tiny\/gpt2.*not .*in the Hugging Face cache.*offline mode is on/);
    expect(hub.requests.length).toBe(before);
  });

  it('sends HF_TOKEN as a bearer Authorization header on every request', async () => {
    const start = hub.requests.length;
    const dir = await resolveModel('tiny/private', {
      env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN }),
    });
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
    const mine = hub.requests.slice(start);
    expect(mine.length).toBeGreaterThanOrEqual(4);
    for (const r of mine) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('a private repo without a token, and a repo that does not exist: not-found naming the repo', async () => {
    const e1 = await hubError(
      resolveModel('tiny/private', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url }) }),
    );
    expect(e1.code).toBe('not-found');
    expect(e1.message).toMatch(/tiny\/private.*HF_TOKEN/);
    const e2 = await hubError(
      resolveModel('nobody/nothing', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url }) }),
    );
    expect(e2.code).toBe('not-found');
    expect(e2.message).toContain("'nobody/nothing'");
    expect(e2.message).toContain('404');
    const e3 = await hubError(
      resolveModel('tiny/gpt2@no-such-branch', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url }) }),
    );
    expect(e3.code).toBe('not-found');
  });

  it('an unreachable hub is a download error with advice', async () => {
    const e = await hubError(
      resolveModel('tiny/gpt2', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: 'http://127.0.0.1:1' }) }),
    );
    expect(e.code).toBe('download-failed');
    expect(e.message).toMatch(/HF_HUB_OFFLINE/);
  });

  it('a token that is not a HF token is refused before any request', async () => {
    const e = await hubError(
      resolveModel('tiny/gpt2', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url, HF_TOKEN: 'secret' }) }),
    );
    expect(e.code).toBe('bad-token');
  });

  it('pickle-only repos are refused with advice', async () => {
    const e = await hubError(
      resolveModel('tiny/pickled', { env: env({ HF_HUB_CACHE: freshCache(), HF_ENDPOINT: hub.url }) }),
    );
    expect(e.code).toBe('pickle-only');
    expect(e.message).toContain('safe_serialization=True');
  });

  it('a download cut off halfway leaves nothing that looks complete, and a retry succeeds', async () => {
    const cacheDir = freshCache();
    const e2 = env({ HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url });
    hub.truncate.add('model.safetensors');
    try {
      const e = await hubError(resolveModel('tiny/gpt2', { env: e2 }));
      expect(e.code).toBe('download-failed');
    } finally {
      hub.truncate.delete('model.safetensors');
    }
    const repoDir = join(cacheDir, 'models--tiny--gpt2');
    const snap = join(repoDir, 'snapshots', SHA_A);
    expect(existsSync(join(repoDir, 'refs', 'main'))).toBe(false);
    expect(existsSync(join(snap, 'model.safetensors'))).toBe(false);
    expect(await snapshotComplete(snap)).toBe(false);
    expect(readdirSync(join(repoDir, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    // Offline, the partial download is not mistaken for the model.
    expect((await hubError(resolveModel('tiny/gpt2', { env: { ...e2, HF_HUB_OFFLINE: '1' } }))).code).toBe('offline');
    const dir = await resolveModel('tiny/gpt2', { env: e2 });
    expect(readFileSync(join(dir, 'model.safetensors')).equals(read('a_gpt2', 'model.safetensors'))).toBe(true);
  });

  it('a download with wrong bytes fails the sha256 check and is removed', async () => {
    const cacheDir = freshCache();
    hub.corrupt.add('model.safetensors');
    try {
      const e = await hubError(
        resolveModel('tiny/gpt2', { env: env({ HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url }) }),
      );
      expect(e.code).toBe('download-failed');
      expect(e.message).toMatch(/model\.safetensors is corrupt \(sha256/);
    } finally {
      hub.corrupt.delete('model.safetensors');
    }
    const repoDir = join(cacheDir, 'models--tiny--gpt2');
    expect(existsSync(join(repoDir, 'snapshots', SHA_A, 'model.safetensors'))).toBe(false);
    expect(readdirSync(join(repoDir, 'blobs')).filter((b) => b.length === 64)).toEqual([]); // only config-size git blobs remain
  });
});
