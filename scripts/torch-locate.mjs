// Where libtorch comes from, in order (README "Install"):
//   1. DISTPROMPT_TORCH_DIR or Torch_DIR (a folder holding TorchConfig.cmake, or a libtorch root)
//   2. an importable Python torch (DISTPROMPT_PYTHON, else python3): torch.utils.cmake_prefix_path
//   3. this package's private Python environment (.distprompt-torch/venv), created on demand
//      and filled by `pip install torch` (DISTPROMPT_TORCH_INDEX picks the index;
//      DISTPROMPT_NO_AUTO_TORCH=1 prints the commands instead of running them).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const packageRoot = resolve(new URL('..', import.meta.url).pathname);
export const privateEnv = join(packageRoot, '.distprompt-torch', 'venv');
const privatePython = join(privateEnv, 'bin', 'python');

function torchConfigDir(dir) {
  // Accept either the cmake folder itself or a libtorch root / python cmake prefix.
  for (const c of [dir, join(dir, 'Torch'), join(dir, 'share', 'cmake', 'Torch')]) {
    if (existsSync(join(c, 'TorchConfig.cmake'))) return c;
  }
  return null;
}

function probePython(python) {
  const r = spawnSync(
    python,
    ['-c', 'import torch,sys;print(torch.__version__);print(torch.utils.cmake_prefix_path);print(int(torch.cuda.is_available() or torch.version.cuda is not None))'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) return null;
  const [version, prefix, cuda] = r.stdout.trim().split('\n');
  const dir = torchConfigDir(prefix);
  if (!dir) return null;
  return { version, torchDir: dir, python, cuda: cuda === '1' };
}

function majorOk(version) {
  const major = Number(String(version).split('.')[0]);
  return major >= 2;
}

export function manualCommands() {
  const index = process.env.DISTPROMPT_TORCH_INDEX;
  return [
    `python3 -m venv ${privateEnv}`,
    `${privatePython} -m pip install ${index ? `--index-url ${index} ` : ''}torch`,
    'npm rebuild distprompt   # or, in this repository: npm run build:native',
  ];
}

/** Find libtorch without installing anything; null when none is found. */
export function findTorch(log = () => {}) {
  const explicit = process.env.DISTPROMPT_TORCH_DIR || process.env.Torch_DIR;
  if (explicit) {
    const dir = torchConfigDir(resolve(explicit));
    if (!dir) {
      throw new Error(
        `DISTPROMPT_TORCH_DIR/Torch_DIR=${explicit} holds no TorchConfig.cmake. Point it at a libtorch 2.x folder ` +
          `(for pip's torch: python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').`,
      );
    }
    return { version: 'unknown (explicit)', torchDir: dir, source: 'DISTPROMPT_TORCH_DIR' };
  }
  const pythons = [process.env.DISTPROMPT_PYTHON, 'python3', privatePython].filter(Boolean);
  for (const py of pythons) {
    if (py === privatePython && !existsSync(privatePython)) continue;
    const found = probePython(py);
    if (found && majorOk(found.version)) return { ...found, source: py === privatePython ? 'private environment' : `python (${py})` };
    if (found) log(`distprompt: ignoring torch ${found.version} from ${py}: libtorch 2.x is required`);
  }
  return null;
}

/** Create the private environment and pip install torch into it. */
export function installPrivateTorch(log) {
  const index = process.env.DISTPROMPT_TORCH_INDEX;
  log(`distprompt: no libtorch found; installing Python torch into ${privateEnv}`);
  log('distprompt: (set DISTPROMPT_TORCH_DIR to use your own libtorch, DISTPROMPT_NO_AUTO_TORCH=1 to skip this)');
  if (!existsSync(privatePython)) {
    execFileSync(process.env.DISTPROMPT_PYTHON || 'python3', ['-m', 'venv', privateEnv], { stdio: 'inherit' });
  }
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check'];
  if (index) args.push('--index-url', index);
  args.push(...(process.env.DISTPROMPT_PIP_ARGS ? process.env.DISTPROMPT_PIP_ARGS.split(/\s+/).filter(Boolean) : []));
  args.push(process.env.DISTPROMPT_TORCH_SPEC || 'torch');
  log(`distprompt: ${privatePython} ${args.join(' ')}   (a few minutes: the wheel is large)`);
  const r = spawnSync(privatePython, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    throw new Error(`pip could not install torch (exit ${r.status}). Do it by hand, then rebuild:\n  ${manualCommands().join('\n  ')}`);
  }
  const found = probePython(privatePython);
  if (!found) throw new Error(`torch installed into ${privateEnv} but cannot be imported; see pip's output above.`);
  return { ...found, source: 'private environment (new)' };
}
