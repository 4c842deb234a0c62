// The Hugging Face cache layout, shared with Python's huggingface_hub so a model downloaded by
// either is found by both:
//   <cache>/models--org--name/refs/<revision>     text file holding a commit hash
//   <cache>/models--org--name/snapshots/<commit>/  files (symlinks into ../../blobs/)
//   <cache>/models--org--name/blobs/<etag>         the bytes
import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { COMMIT, type RepoRef } from './repo-id.js';

/** XDG_CACHE_HOME, or ~/.cache where it is unset or empty (an empty one is no folder). */
export const cacheHome = (env: NodeJS.ProcessEnv = process.env): string =>
  env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(cacheHome(env), 'huggingface', 'hub');
}

export function repoFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env.HF_HUB_OFFLINE ?? '');
}

/** The commit a revision points to in the cache, or undefined. */
export async function cachedCommit(cacheDir: string, ref: RepoRef): Promise<string | undefined> {
  if (COMMIT.test(ref.revision)) return ref.revision;
  try {
    const sha = (await readFile(join(repoFolder(cacheDir, ref.repo), 'refs', ref.revision), 'utf8')).trim();
    return COMMIT.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile(); // follows the snapshot symlink to its blob
  } catch {
    return false;
  }
}

/**
 * True when a snapshot holds everything a model load needs: config.json and complete weights
 * (model.safetensors, or the index and every shard it names). Python's huggingface_hub writes
 * refs/ after the first file, so a ref alone does not mean the snapshot is complete.
 */
export async function snapshotComplete(dir: string): Promise<boolean> {
  if (!(await isFile(join(dir, 'config.json')))) return false;
  if (await isFile(join(dir, 'model.safetensors'))) return true;
  const shards = await shardNames(dir);
  if (!shards) return false;
  for (const s of shards) if (!(await isFile(join(dir, s)))) return false;
  return true;
}

/** Shard file names of model.safetensors.index.json in dir, or undefined if absent/unreadable. */
export async function shardNames(dir: string): Promise<string[] | undefined> {
  try {
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map?: Record<string, unknown>;
    };
    const names = new Set(Object.values(index.weight_map ?? {}).filter((v): v is string => typeof v === 'string'));
    return names.size > 0 ? [...names] : undefined;
  } catch {
    return undefined;
  }
}

/** A complete cached snapshot for the reference (with `configOnly`, one with config.json), if there is one. */
export async function findCachedSnapshot(
  cacheDir: string,
  ref: RepoRef,
  configOnly = false,
): Promise<string | undefined> {
  const sha = await cachedCommit(cacheDir, ref);
  if (sha) {
    const dir = join(repoFolder(cacheDir, ref.repo), 'snapshots', sha);
    const found = configOnly ? await isFile(join(dir, 'config.json')) : await snapshotComplete(dir);
    return found ? dir : undefined;
  }
  return undefined;
}

/** Other cached revisions of the repo, to suggest in an offline error. */
export async function cachedRefs(cacheDir: string, repo: string): Promise<string[]> {
  try {
    return await readdir(join(repoFolder(cacheDir, repo), 'refs'));
  } catch {
    return [];
  }
}
