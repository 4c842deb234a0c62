// Where libtorch comes from, in order (README "Install"):
//   1. DISTPROMPT_TORCH_DIR or Torch_DIR (a folder holding TorchConfig.cmake, or a libtorch root)
//   2. an importable Python torch (DISTPROMPT_PYTHON, else python3): torch.utils.cmake_prefix_path
//   3. this package's private Python environment (.distprompt-torch/venv), created on demand
//      and filled by `pip install torch` (torchIndex: DISTPROMPT_TORCH_INDEX, else the CPU wheels;
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

/** PyTorch's index of CPU wheels: PyPI's Linux torch is the CUDA build, gigabytes of it. */
const CPU_INDEX = 'https://download.pytorch.org/whl/cpu';

/**
 * The index pip installs torch from: DISTPROMPT_TORCH_INDEX; else, on Linux, the CPU wheels
 * (about 200 MB; PyPI's default there is a CUDA build of several GB, which cannot even be built
 * against without the CUDA toolkit), unless pip is set up with an index of its own (a mirror),
 * which is then left to pip.
 */
export function torchIndex(python = 'python3') {
  if (process.env.DISTPROMPT_TORCH_INDEX) return process.env.DISTPROMPT_TORCH_INDEX;
  if (process.platform !== 'linux' || process.env.PIP_INDEX_URL) return undefined;
  const r = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', timeout: 60_000 });
  // global.index-url=…, not global.extra-index-url=…
  if (r.status === 0 && /^[^.\n]+\.index-url=/m.test(r.stdout)) return undefined;
  return CPU_INDEX;
}

/** Whether a CUDA compiler can be found, as CMake looks for one (CUDACXX, CUDA_HOME, PATH, `roots`). */
function cudaCompilerFound(roots) {
  if (process.env.CUDACXX && existsSync(process.env.CUDACXX)) return true;
  const homes = [process.env.CUDA_HOME, process.env.CUDA_PATH, ...roots].filter(Boolean);
  if (homes.some((h) => existsSync(join(h, 'bin', 'nvcc')))) return true;
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'nvcc')));
}

export function manualCommands() {
  const index = torchIndex();
  return [
    `python3 -m venv ${privateEnv}`,
    `${privatePython} -m pip install ${index ? `--index-url ${index} ` : ''}torch`,
    'npm rebuild distprompt   # or, in this repository: npm run build:native',
  ];
}

/**
 * Find libtorch without installing anything; null when none is found. `cudaRoots`: where a CUDA
 * toolkit is looked for besides CUDA_HOME, CUDA_PATH and PATH (CMake's own default).
 */
export function findTorch(log = () => {}, { cudaRoots = ['/usr/local/cuda'] } = {}) {
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
    // A CUDA torch's cmake files stop the build where no CUDA toolkit is found: a CPU build
    // from the private environment is made instead, and the log says how to get the GPU one.
    if (found && majorOk(found.version) && found.cuda && py !== privatePython && !cudaCompilerFound(cudaRoots)) {
      log(
        `distprompt: not building against torch ${found.version} from ${py}: it is a CUDA build, and building ` +
          'against one needs the CUDA toolkit (nvcc), which is not on PATH (nor CUDACXX, CUDA_HOME). Building for the ' +
          'CPU instead; for the GPU build, install the toolkit and rebuild (README, "GPU build").',
      );
      continue;
    }
    if (found && majorOk(found.version)) return { ...found, source: py === privatePython ? 'private environment' : `python (${py})` };
    if (found) log(`distprompt: ignoring torch ${found.version} from ${py}: libtorch 2.x is required`);
  }
  return null;
}

/** Create the private environment and pip install torch into it. */
export function installPrivateTorch(log) {
  log(`distprompt: no libtorch found; installing Python torch into ${privateEnv}`);
  log('distprompt: (set DISTPROMPT_TORCH_DIR to use your own libtorch, DISTPROMPT_NO_AUTO_TORCH=1 to skip this)');
  if (!existsSync(privatePython)) {
    execFileSync(process.env.DISTPROMPT_PYTHON || 'python3', ['-m', 'venv', privateEnv], { stdio: 'inherit' });
  }
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check'];
  const index = torchIndex(privatePython);
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
