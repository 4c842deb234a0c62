// Downloads the files a model load needs into the Hugging Face cache layout, fetching each file
// with @huggingface/hub and filing it here:
// - pin the revision to one commit first, so every file lands in the same snapshot folder;
// - stream each file into a partial file of this process's own (two processes downloading the
//   same model at once, as --devices workers or a sweep's shards do, must not write into one),
//   removed should the process exit midway (Ctrl-C while a command loads its model);
// - check its size and hash (an LFS file's sha256, any other's git blob id) against the listing
//   before it becomes the blob (one atomic rename): a connection that closes early without an
//   error must not pass, nor a corrupt config.json stay in the cache for every later run;
// - write refs/<revision> last, and only after every file is in place.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { downloadFile, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';

import { removedAtExit } from '../io/exit-cleanup.js';
import { errnoCode } from '../io/fs-error.js';
import { exists } from '../io/exists.js';
import { repoFolder, shardNames } from './cache.js';
import { HubError } from './errors.js';
import { COMMIT, type RepoRef } from './repo-id.js';
import { fetchWithIdleTimeout } from './timeout.js';
import { processAlive } from '../io/process.js';

export interface DownloadOptions {
  cacheDir: string;
  endpoint: string;
  accessToken?: string;
  /** fail a request once the hub has sent nothing for this long (see timeout.ts) */
  idleTimeoutMs: number;
  /** only config.json and the tokenizer, no weights */
  configOnly?: boolean;
  /** called before each file is fetched (CLI progress) */
  onFile?: (path: string, bytes: number) => void;
}

const OPTIONAL = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
const SLOW_TOKENIZER = ['vocab.json', 'merges.txt'];
const PICKLE = /\.(bin|pt|pth|ckpt|pkl)$/i;

function explain(e: unknown, ref: RepoRef, o: DownloadOptions): HubError {
  const endpoint = o.endpoint;
  const status = (e as { statusCode?: number }).statusCode;
  const what = `${ref.repo}${ref.revision === 'main' ? '' : `@${ref.revision}`}`;
  if (status === 401 || status === 403 || status === 404) {
    return new HubError(
      'not-found',
      `model '${what}' was not found at ${endpoint} (HTTP ${status}): check the repo id and revision; a private or gated model needs HF_TOKEN (or a token saved by huggingface-cli login)`,
      { cause: e },
    );
  }
  if (e instanceof HubError) return e;
  // A file-system error (network ones come as a fetch error's cause): the cache, not the hub.
  const code = errnoCode(e);
  const path = (e as { path?: unknown }).path;
  if (code && typeof path === 'string') {
    return new HubError(
      'cache',
      `cannot write the Hugging Face cache at ${o.cacheDir} (${code} on ${path}): free space or fix its permissions, ` +
        'or set HF_HUB_CACHE (or HF_HOME) to a folder you can write',
      { cause: e },
    );
  }
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
  return new HubError(
    'download-failed',
    `downloading '${what}' from ${endpoint} failed: ${detail}. Set HF_HUB_OFFLINE=1 to use only the local cache, or HF_ENDPOINT for a mirror`,
    { cause: e },
  );
}

/** Numbers this process's partial files: two loads of one model may run at once in it too. */
let partials = 0;

export async function downloadModel(ref: RepoRef, o: DownloadOptions): Promise<string> {
  const fetch = fetchWithIdleTimeout(o.idleTimeoutMs, o.endpoint);
  const common = {
    repo: { type: 'model' as const, name: ref.repo },
    hubUrl: o.endpoint,
    accessToken: o.accessToken,
    fetch,
  };
  try {
    const sha = COMMIT.test(ref.revision)
      ? ref.revision
      : (
          await modelInfo({
            name: ref.repo,
            revision: ref.revision,
            hubUrl: o.endpoint,
            accessToken: o.accessToken,
            fetch,
            additionalFields: ['sha'],
          })
        ).sha;
    if (typeof sha !== 'string' || !COMMIT.test(sha))
      throw new HubError(
        'download-failed',
        `the hub at ${o.endpoint} gave no commit hash for ${ref.repo}@${ref.revision}`,
      );

    const listing = new Map<string, ListFileEntry>();
    for await (const f of listFiles({ ...common, revision: sha })) if (f.type === 'file') listing.set(f.path, f);

    const wanted = chooseFiles(ref, listing, o.configOnly ?? false);
    const snapshot = join(repoFolder(o.cacheDir, ref.repo), 'snapshots', sha);
    const fetchOne = async (path: string) => {
      const entry = listing.get(path);
      if (!entry)
        throw new HubError(
          'no-weights',
          `${ref.repo}@${sha} has no file '${path}' (named by model.safetensors.index.json)`,
        );
      await fetchVerified(
        path,
        entry,
        snapshot,
        join(repoFolder(o.cacheDir, ref.repo), 'blobs'),
        () => downloadFile({ ...common, path, revision: sha }),
        o,
      );
    };
    for (const path of wanted) await fetchOne(path);
    if (wanted.includes('model.safetensors.index.json') && !wanted.includes('model.safetensors')) {
      const shards = await shardNames(snapshot);
      if (!shards)
        throw new HubError('no-weights', `${ref.repo}@${sha}: model.safetensors.index.json has no weight_map`);
      for (const s of shards) await fetchOne(s);
    }

    // Last: the ref that makes later lookups find this snapshot without the network.
    if (!COMMIT.test(ref.revision)) {
      const refPath = join(repoFolder(o.cacheDir, ref.repo), 'refs', ref.revision);
      await mkdir(join(refPath, '..'), { recursive: true });
      const tmp = `${refPath}.${process.pid}-${++partials}.tmp`;
      const done = removedAtExit(tmp);
      try {
        await writeFile(tmp, sha);
        await rename(tmp, refPath);
      } finally {
        done();
      }
    }
    return snapshot;
  } catch (e) {
    throw explain(e, ref, o);
  }
}

function chooseFiles(ref: RepoRef, listing: Map<string, ListFileEntry>, configOnly: boolean): string[] {
  if (!listing.has('config.json'))
    throw new HubError('no-weights', `${ref.repo}@${ref.revision} has no config.json: not a transformers model repo`);
  const files = ['config.json'];
  // A random twin reads the config and tokenizer only: gigabytes of weights would be wasted.
  if (!configOnly) files.push(weightsFile(ref, listing));
  for (const f of OPTIONAL) if (listing.has(f)) files.push(f);
  // Without tokenizer.json, a GPT-2-style slow tokenizer's pair is the model's tokenizer.
  if (!listing.has('tokenizer.json') && SLOW_TOKENIZER.every((f) => listing.has(f))) files.push(...SLOW_TOKENIZER);
  return files;
}

/** The file that leads to the weights: model.safetensors, else the index of its shards. */
function weightsFile(ref: RepoRef, listing: Map<string, ListFileEntry>): string {
  if (listing.has('model.safetensors')) return 'model.safetensors';
  if (listing.has('model.safetensors.index.json')) return 'model.safetensors.index.json';
  const pickles = [...listing.keys()].filter((p) => PICKLE.test(p));
  if (pickles.length > 0) {
    throw new HubError(
      'pickle-only',
      `${ref.repo}@${ref.revision} has only pickle weights (${pickles.slice(0, 3).join(', ')}); distprompt does not load pickle files. Look for a safetensors revision (many repos have one under refs/pr/N), or convert it locally with transformers: from_pretrained(...).save_pretrained(OUT, safe_serialization=True)`,
    );
  }
  throw new HubError(
    'no-weights',
    `${ref.repo}@${ref.revision} has no model.safetensors or model.safetensors.index.json`,
  );
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** git's id of a file's bytes: sha1 of 'blob <size>\0' then the bytes. */
async function gitBlobId(path: string): Promise<string> {
  const h = createHash('sha1').update(`blob ${(await stat(path)).size}\0`);
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function fetchVerified(
  path: string,
  entry: ListFileEntry,
  snapshot: string,
  blobsDir: string,
  download: () => Promise<Blob | null>,
  o: DownloadOptions,
): Promise<void> {
  const pointer = join(snapshot, path);
  if (await exists(pointer)) return; // already complete in the cache (blobs appear only whole)
  const etag = entry.lfs?.oid ?? entry.xetHash ?? entry.oid;
  if (!etag) throw new HubError('download-failed', `the hub's listing gives no id for ${path}`);
  const blob = join(blobsDir, etag);
  const size = entry.lfs?.size ?? entry.size;
  // A blob another process (or Python) filed is checked as a new one is.
  if (await exists(blob)) await refuseCorrupt(blob, path, entry, size);
  else {
    o.onFile?.(path, size);
    await mkdir(blobsDir, { recursive: true });
    await removeDeadPartials(blobsDir, etag);
    const part = `${blob}.${hostname()}.${process.pid}-${++partials}.incomplete`;
    const done = removedAtExit(part);
    try {
      const data = await download();
      if (!data) throw new HubError('download-failed', `${path} is listed but the hub does not serve it`);
      await pipeline(Readable.fromWeb(data.stream() as never), createWriteStream(part));
      await refuseCorrupt(part, path, entry, size);
      await rename(part, blob); // atomic: a concurrent download of the same file renames the same bytes
    } finally {
      await rm(part, { force: true });
      done();
    }
  }
  await mkdir(dirname(pointer), { recursive: true });
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e; // another process filed it first
  }
}

/** Throws (and deletes `file`) unless its size and hash are the listing's. */
async function refuseCorrupt(file: string, path: string, entry: ListFileEntry, size: number): Promise<void> {
  const actual = (await stat(file)).size;
  let problem: string | undefined;
  if (actual !== size) problem = `got ${actual} bytes, expected ${size}`;
  else if (entry.lfs && /^[0-9a-f]{64}$/.test(entry.lfs.oid)) {
    const digest = await sha256(file);
    if (digest !== entry.lfs.oid) problem = `sha256 ${digest} does not match ${entry.lfs.oid}`;
  } else if (!entry.lfs && !entry.xetHash && /^[0-9a-f]{40}$/.test(entry.oid ?? '')) {
    // A file kept in git (config.json, tokenizer.json) is named by its git blob id: a corrupt
    // one would otherwise stay in the cache and be read on every later run.
    const digest = await gitBlobId(file);
    if (digest !== entry.oid) problem = `git blob id ${digest} does not match ${entry.oid}`;
  }
  if (problem) {
    await rm(file, { force: true });
    throw new HubError(
      'download-failed',
      `downloaded ${path} is corrupt (${problem}); removed it from the cache, try again`,
    );
  }
}

/** Partial files of `etag` left by killed processes of this machine: gigabytes of disk each. */
async function removeDeadPartials(blobsDir: string, etag: string): Promise<void> {
  const mine = `${etag}.${hostname()}.`;
  for (const f of await readdir(blobsDir)) {
    if (!f.startsWith(mine) || !f.endsWith('.incomplete')) continue;
    const pid = Number(f.slice(mine.length, -'.incomplete'.length).split('-')[0]);
    const path = join(blobsDir, f);
    // Its writer last wrote it then: a process of that pid that started later is not its writer.
    const lastWrite = (await stat(path).catch(() => undefined))?.mtimeMs;
    if (Number.isInteger(pid) && lastWrite !== undefined && !processAlive(pid, lastWrite))
      await rm(path, { force: true });
  }
}
