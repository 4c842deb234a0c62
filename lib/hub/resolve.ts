// resolveModel: the model argument → a local directory holding config.json and weights.
// Order: an existing directory; a complete snapshot in the local Hugging Face cache; a
// download into that cache (unless HF_HUB_OFFLINE).
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';

import { cacheHome, cachedRefs, findCachedSnapshot, hubCacheDir, isOffline } from './cache.js';
import { downloadModel } from './download.js';
import { HubError, type HubErrorCode } from './errors.js';
import { looksLikePath, parseRepoRef } from './repo-id.js';
import { downloadTimeoutMs } from './timeout.js';

export interface ResolveOptions {
  /** hub base URL (default HF_ENDPOINT, else https://huggingface.co) */
  endpoint?: string;
  /** access token (default HF_TOKEN) */
  accessToken?: string;
  /** cache directory (default HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub) */
  cacheDir?: string;
  /** never use the network (default: HF_HUB_OFFLINE) */
  offline?: boolean;
  onFile?: (path: string, bytes: number) => void;
  /** only config.json and the tokenizer, no weights (what a random twin reads) */
  configOnly?: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function resolveModel(arg: string, opts: ResolveOptions = {}): Promise<string> {
  if (typeof arg !== 'string' || arg.trim().length === 0)
    throw new HubError('bad-argument', 'model argument is empty: give a directory or a Hugging Face repo id');
  const env = opts.env ?? process.env;
  try {
    const st = await stat(arg);
    if (st.isDirectory()) return resolvePath(arg);
    throw new HubError('bad-argument', `'${arg}' is a file; give the directory that holds config.json and the weights`);
  } catch (e) {
    if (e instanceof HubError) throw e;
  }
  if (looksLikePath(arg)) throw new HubError('bad-argument', `directory '${arg}' does not exist`);
  try {
    return await resolveRepo(arg, opts, env);
  } catch (e) {
    throw withLocalFolderHint(e, arg);
  }
}

/** The hub's answers for a repo it does not have, or could not be asked about. */
const NOT_FOUND_CODES = new Set<HubErrorCode>(['not-found', 'offline', 'download-failed']);

/**
 * 'checkpoints/step-1000' is read as a repo id when no such folder exists: where its first part
 * is a local folder, a misspelt local path is the likelier mistake, and the hub's answer says so.
 */
function withLocalFolderHint(e: unknown, arg: string): unknown {
  const parts = arg.split('@')[0].split('/');
  if (!(e instanceof HubError) || !NOT_FOUND_CODES.has(e.code) || parts.length !== 2) return e;
  if (!statSync(parts[0], { throwIfNoEntry: false })?.isDirectory()) return e;
  return new HubError(
    e.code,
    `${e.message} (read as a Hugging Face repo id because there is no folder '${arg}', though there is a folder '${parts[0]}': if you meant a local model, check its name)`,
    { cause: e },
  );
}

async function resolveRepo(arg: string, opts: ResolveOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const ref = parseRepoRef(arg);
  const cacheDir = opts.cacheDir ?? hubCacheDir(env);
  const configOnly = opts.configOnly ?? false;
  const cached = await findCachedSnapshot(cacheDir, ref, configOnly);
  if (cached) return cached;

  if (opts.offline ?? isOffline(env)) {
    const refs = await cachedRefs(cacheDir, ref.repo);
    const hint = refs.length > 0 ? ` (the cache has revisions: ${refs.join(', ')})` : '';
    throw new HubError(
      'offline',
      `model '${arg}' is not (completely) in the Hugging Face cache at ${cacheDir}${hint}, and offline mode is on (HF_HUB_OFFLINE); download it with the network on, or give a local directory`,
    );
  }
  // Spaces and line ends around a pasted token are not part of it (huggingface_hub strips them too).
  const token = await findToken(opts.accessToken, env);
  const accessToken = token?.value.trim() || undefined;
  if (accessToken !== undefined && !accessToken.startsWith('hf_')) {
    throw new HubError('bad-token', `${token!.from} does not look like a Hugging Face token (they start with "hf_")`);
  }
  const endpoint = checkEndpoint(opts.endpoint ?? (env.HF_ENDPOINT || 'https://huggingface.co'), opts.endpoint);
  const idleTimeoutMs = downloadTimeoutMs(env);
  return downloadModel(ref, { cacheDir, endpoint, accessToken, idleTimeoutMs, configOnly, onFile: opts.onFile });
}

/** The hub's base URL without trailing slashes; not an http(s) URL, it is refused naming its source. */
function checkEndpoint(endpoint: string, given: string | undefined): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new HubError(
      'bad-argument',
      `${given === undefined ? 'HF_ENDPOINT' : 'endpoint'} '${endpoint}' is not an http(s) URL such as https://huggingface.co`,
    );
  }
  return endpoint.replace(/\/+$/, '');
}

/**
 * The access token and where it came from: the option, else HF_TOKEN, else the file
 * `huggingface-cli login` saves (HF_TOKEN_PATH, default HF_HOME/token), as huggingface_hub looks.
 */
async function findToken(
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ value: string; from: string } | undefined> {
  if (given !== undefined) return { value: given, from: 'the accessToken option' };
  if (env.HF_TOKEN?.trim()) return { value: env.HF_TOKEN, from: 'HF_TOKEN' };
  const home = env.HF_HOME || join(cacheHome(env), 'huggingface');
  const path = env.HF_TOKEN_PATH || join(home, 'token');
  try {
    return { value: await readFile(path, 'utf8'), from: `the token in ${path}` };
  } catch {
    return undefined;
  }
}
