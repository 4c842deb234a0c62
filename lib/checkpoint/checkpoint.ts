// Reads a Hugging Face model directory: config.json plus safetensors weights, either one
// model.safetensors or shards listed in model.safetensors.index.json. Only headers are read;
// the C++ loader maps the data. Pickle checkpoints are refused, never unpickled: loading one
// can run arbitrary code.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize } from 'node:path';

import { parseJsonText } from '../io/json-text.js';
import { exists } from '../io/exists.js';
import { CheckpointError } from './errors.js';
import { clip, scanHeader } from './header-scan.js';
import {
  MAX_HEADER_DEPTH,
  readSafetensorsHeader,
  type FileStamp,
  type SafetensorsFile,
  type SafetensorsTensor,
} from './safetensors.js';

export interface CheckpointFile {
  path: string;
  /** every tensor stored, of any dtype; lib/checkpoint/select.ts picks the ones a model reads */
  tensors: SafetensorsTensor[];
}

export interface Checkpoint {
  dir: string;
  /** parsed config.json; lib/model maps it to the native config */
  config: unknown;
  files: CheckpointFile[];
  tensorNames: Set<string>;
  /** the headers in full (metadata, file sizes) for tools that want more than the loader */
  headers: SafetensorsFile[];
  /** each weights file as it was when read, to detect a change later */
  stamps: FileStamp[];
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const PICKLE = /\.(bin|pt|pth|ckpt|pkl)$/i;

export const CONVERT_ADVICE =
  'convert it to safetensors with Python transformers, e.g.\n' +
  "  python -c \"from transformers import AutoModelForCausalLM as M; M.from_pretrained('DIR').save_pretrained('OUT', safe_serialization=True)\"\n" +
  'then copy config.json (and tokenizer files) along and load OUT';

async function readJson(path: string, what: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CheckpointError('missing-file', path, `${what} not found`);
    throw new CheckpointError('io', path, `cannot read ${what}: ${(e as Error).message}`);
  }
  const code = what === 'config.json' ? 'bad-config' : 'bad-index';
  // Bounded before parsing: whatever later echoes a value of a hostile file must not recurse 10⁴ deep.
  if (scanHeader(bytes, MAX_HEADER_DEPTH).tooDeep) {
    throw new CheckpointError(
      code,
      path,
      `${what} nests more than ${MAX_HEADER_DEPTH} levels deep: not a model's ${what}; re-download it`,
    );
  }
  try {
    return parseJsonText(bytes.toString('utf8'));
  } catch (e) {
    throw new CheckpointError(code, path, `${what} is not valid JSON: ${clip((e as Error).message, 200)}`);
  }
}

export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new CheckpointError('missing-file', dir, 'model directory not found');
  }
  if (!st.isDirectory())
    throw new CheckpointError(
      'not-a-directory',
      dir,
      'is not a directory (give the folder that holds config.json and the weights)',
    );

  const configPath = join(dir, 'config.json');
  if (!(await exists(configPath)))
    throw new CheckpointError('missing-file', dir, 'no config.json in the model directory');
  const config = await readJson(configPath, 'config.json');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CheckpointError('bad-config', configPath, 'config.json is not a JSON object');
  }

  let headers: SafetensorsFile[];
  if (await exists(join(dir, SINGLE))) {
    headers = [await readSafetensorsHeader(join(dir, SINGLE))];
  } else if (await exists(join(dir, INDEX))) {
    headers = await readSharded(dir);
  } else {
    const entries = await readdir(dir);
    const pickles = entries.filter((f) => PICKLE.test(f));
    if (pickles.length > 0) {
      throw new CheckpointError(
        'pickle',
        dir,
        `only pickle weights (${pickles.join(', ')}); distprompt does not load pickle files because unpickling can run arbitrary code. ${CONVERT_ADVICE.replaceAll('DIR', dir)}`,
      );
    }
    throw new CheckpointError('missing-file', dir, `no ${SINGLE} or ${INDEX} in the model directory`);
  }

  const tensorNames = new Set<string>();
  for (const h of headers) {
    for (const t of h.tensors) {
      if (tensorNames.has(t.name)) {
        const other = headers.find((o) => o !== h && o.tensors.some((u) => u.name === t.name));
        throw new CheckpointError(
          'duplicate-tensor',
          h.path,
          `tensor '${clip(t.name, 200)}' is stored in two files (also in ${other ? basename(other.path) : 'another shard'})`,
          t.name,
        );
      }
      tensorNames.add(t.name);
    }
  }
  return {
    dir,
    config,
    files: headers.map((h) => ({ path: h.path, tensors: h.tensors })),
    tensorNames,
    headers,
    stamps: headers.map((h) => h.stamp),
  };
}

async function readSharded(dir: string): Promise<SafetensorsFile[]> {
  const indexPath = join(dir, INDEX);
  const index = await readJson(indexPath, INDEX);
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError('bad-index', indexPath, 'has no weight_map object');
  }
  const byShard = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      throw new CheckpointError(
        'bad-index',
        indexPath,
        `weight_map entry for '${clip(tensor, 200)}' is not a file name`,
        tensor,
      );
    }
    // Shard names come from a downloaded file: keep them inside the model directory.
    if (isAbsolute(shard) || normalize(shard).startsWith('..') || shard.includes('\\')) {
      throw new CheckpointError(
        'bad-index',
        indexPath,
        `weight_map names shard '${clip(shard, 200)}' outside the model directory`,
        tensor,
      );
    }
    const list = byShard.get(shard) ?? [];
    list.push(tensor);
    byShard.set(shard, list);
  }
  if (byShard.size === 0) throw new CheckpointError('bad-index', indexPath, 'weight_map is empty');

  const headers: SafetensorsFile[] = [];
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    if (!(await exists(path))) throw new CheckpointError('missing-file', path, `shard listed in ${INDEX} not found`);
    const h = await readSafetensorsHeader(path);
    const have = new Set(h.tensors.map((t) => t.name));
    for (const name of names) {
      if (!have.has(name))
        throw new CheckpointError(
          'missing-tensor',
          path,
          `tensor '${clip(name, 200)}' is listed in ${INDEX} for this shard but the shard does not contain it`,
          name,
        );
    }
    headers.push(h);
  }
  return headers;
}
