// Matches a checkpoint against the config it is loaded with: the tensors the model reads go to
// the native loader; tensors it never reads are ignored whatever their dtype (attention masks,
// position ids, rotary buffers: their spans were still checked with the header); but tensors
// that look like weights of another config (a layer past num_hidden_layers, a bias the config
// turns off) are an error, since loading them "quietly" would run a model the checkpoint is not.
import type { NativeCheckpointFile, NativeModelConfig, NativeTensorEntry } from '../native/types-model.js';
import type { Checkpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { clip } from './header-scan.js';
import { layerIndex, layerPrefix, tensorRoles } from './names.js';
import { DTYPE_BYTES } from './safetensors.js';

export interface TensorSelection {
  /** per file, only the tensors the model reads */
  files: NativeCheckpointFile[];
  /** tensors stored but never read, and not weights of another config */
  ignored: string[];
}

const MISMATCH = 'config.json does not match these weights: use the config.json that came with them';

function listed(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

export function selectTensors(ckpt: Checkpoint, config: NativeModelConfig): TensorSelection {
  const has = (name: string) => ckpt.tensorNames.has(name);
  const roles = tensorRoles(config, has);
  const prefix = layerPrefix(config, has);
  const shape = `${config.family}, ${config.layers} layers`;

  const missing = [...roles].filter(([name, role]) => role === 'required' && !has(name)).map(([name]) => name);
  if (missing.length > 0) {
    throw new CheckpointError(
      'missing-tensor',
      ckpt.dir,
      `checkpoint is missing tensor ${listed(missing.map((m) => `'${m}'`))} that the config needs (${shape}): the ` +
        `weights are incomplete, or ${MISMATCH}`,
      missing[0],
    );
  }

  const files: NativeCheckpointFile[] = [];
  const ignored: string[] = [];
  const strays: { path: string; why: string; name: string }[] = [];
  for (const f of ckpt.files) {
    const read: NativeTensorEntry[] = [];
    for (const t of f.tensors) {
      const role = roles.get(t.name);
      const name = `'${clip(t.name, 200)}'`;
      if (role === 'required' || role === 'optional') {
        if (!Object.hasOwn(DTYPE_BYTES, t.dtype)) {
          throw new CheckpointError(
            'unsupported-dtype',
            f.path,
            `unsupported dtype ${t.dtype} for tensor ${name}, a weight the model reads (distprompt loads F32, F16 ` +
              `and BF16): convert the checkpoint to one of those`,
            t.name,
          );
        }
        read.push({ ...t, dtype: t.dtype as NativeTensorEntry['dtype'] });
      } else if (role === 'unread') {
        strays.push({ path: f.path, name: t.name, why: `${name} (a weight this config does not use)` });
      } else {
        const layer = layerIndex(prefix, t.name);
        if (layer !== undefined && layer >= config.layers) {
          strays.push({ path: f.path, name: t.name, why: `${name} (layer ${layer}; the config has ${config.layers})` });
        } else {
          ignored.push(t.name);
        }
      }
    }
    files.push({ path: f.path, tensors: read });
  }
  if (strays.length > 0) {
    throw new CheckpointError(
      'unexpected-tensor',
      strays[0].path,
      `holds ${strays.length} tensors that look like model weights but the config (${shape}) never reads: ` +
        `${listed(strays.map((s) => s.why))}. ${MISMATCH}`,
      strays[0].name,
    );
  }
  return { files, ignored };
}
