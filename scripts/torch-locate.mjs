// Where libtorch comes from, in order (README "Install"):
//   1. DISTPROMPT_TORCH_DIR or Torch_DIR (a folder holding TorchConfig.cmake, or a libtorch root)
//   2. an importable Python torch (DISTPROMPT_PYTHON, else python3): torch.utils.cmake_prefix_path
//   3. this package's private Python environment (.distprompt-torch/venv), created on demand
//      and filled by `pip install torch` (torchIndex: DISTPROMPT_TORCH_INDEX, else the CPU wheels;
//      DISTPROMPT_NO_AUTO_TORCH=1 prints the commands instead of running them). It is used only
//      once pip finished installing torch into it (privateTorchComplete), and filled again where
//      DISTPROMPT_TORCH_SPEC asks for other than it was filled with (privateSpecChange).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join, resolve } from 'node:path';

export const packageRoot = resolve(new URL('..', import.meta.url).pathname);
export const privateEnv = join(packageRoot, '.distprompt-torch', 'venv');
const privatePython = join(privateEnv, 'bin', 'python');
/** What pip was last asked to install into the private environment (DISTPROMPT_TORCH_SPEC, else torch). */
const specRecord = join(privateEnv, 'distprompt-torch-spec');

/** How every install failure ends: what to run once its cause is mended. */
export const THEN_REBUILD = 'then run `npm rebuild distprompt` (in this repository: `npm run build:native`)';

const readIfThere = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

function torchConfigDir(dir) {
  // Accept either the cmake folder itself or a libtorch root / python cmake prefix.
  for (const c of [dir, join(dir, 'Torch'), join(dir, 'share', 'cmake', 'Torch')]) {
    if (existsSync(join(c, 'TorchConfig.cmake'))) return c;
  }
  return null;
}

/** Why a Python could not be started at all (spawnSync's error), in words; null when it ran. */
function notRunnable(python, r) {
  if (!r.error) return null;
  if (r.error.code === 'ENOENT') return `${python} was not found`;
  if (r.error.code === 'EACCES') return `${python} cannot be run (EACCES: a folder, or a file that is not executable)`;
  if (r.error.code === 'ETIMEDOUT') return `${python} did not answer within 120 s`;
  return `${python} cannot be run (${r.error.code ?? r.error.message})`;
}

/**
 * What `python` says of its torch: { found: { version, torchDir, python, cuda } }, or
 * { reason } (why it gave none, in words) with `runs` false when the python itself could not be started.
 */
function probePython(python) {
  const r = spawnSync(
    python,
    ['-c', 'import torch,sys;print(torch.__version__);print(torch.utils.cmake_prefix_path);print(int(torch.cuda.is_available() or torch.version.cuda is not None))'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const unstarted = notRunnable(python, r);
  if (unstarted) return { reason: unstarted, runs: false };
  if (r.signal) return { reason: `\`import torch\` in ${python} crashed (${r.signal})`, runs: true };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop();
    if (/No module named '?torch'?/.test(last)) return { reason: `${python} has no torch`, runs: true, noTorch: true };
    return { reason: `\`import torch\` in ${python} failed: ${last || `exit ${r.status}`}`, runs: true };
  }
  const [version, prefix, cuda] = r.stdout.trim().split('\n');
  const dir = torchConfigDir(prefix);
  if (!dir) return { reason: `torch ${version} in ${python} has no TorchConfig.cmake under ${prefix}`, runs: true };
  return { found: { version, torchDir: dir, python, cuda: cuda === '1' } };
}

/**
 * Whether pip finished installing torch into the private environment `env`. pip writes
 * INSTALLER into torch's .dist-info after every file of torch is in place (and installs torch's
 * dependencies before torch): an environment without it is one whose making was stopped (Ctrl-C,
 * a killed pip), where `import torch` may still work while headers or cmake files are missing.
 */
export function privateTorchComplete(env = privateEnv) {
  const list = (dir) => (existsSync(dir) ? readdirSync(dir) : []);
  for (const python of list(join(env, 'lib'))) {
    const site = join(env, 'lib', python, 'site-packages');
    for (const d of list(site)) if (/^torch-[^-]+\.dist-info$/.test(d) && existsSync(join(site, d, 'INSTALLER'))) return true;
  }
  return false;
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
  // global.index-url=…, not global.extra-index-url=…
  if (/^[^.\n]+\.index-url=/m.test(pipConfig(python))) return undefined;
  return CPU_INDEX;
}

/** pip's settings as `python -m pip config list` prints them (`global.find-links='…'`); '' where it cannot say. */
function pipConfig(python) {
  const r = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout : '';
}

/** Whether pip has sources of torch besides its index: find-links or extra indexes, set in its config or environment. */
function pipOtherSources(python) {
  if (process.env.PIP_FIND_LINKS || process.env.PIP_EXTRA_INDEX_URL) return true;
  return /^[^.\n]+\.(find-links|extra-index-url)=/m.test(pipConfig(python));
}

/** How long the index gets to answer before the install says it does not. */
const INDEX_WAIT_MS = 4000;

/**
 * Why the index at `url` does not answer an HTTP request within INDEX_WAIT_MS, in words (an error
 * code, or that it gave no answer), or null where it answers, whatever its status. pip retries an
 * unreachable host 5 times, each after its timeout (15 s, PIP_DEFAULT_TIMEOUT): minutes without a
 * word. Only http(s) indexes are asked, and none where a proxy is set (pip goes through it, this
 * request would not). Its certificate is not checked: pip has its own (PIP_CERT), and nothing that
 * comes back is used.
 */
export function indexUnanswered(url) {
  const proxied = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY', 'PIP_PROXY'];
  let target;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(null); // pip names an index it cannot read
  }
  if (!/^https?:$/.test(target.protocol) || proxied.some((name) => process.env[name])) return Promise.resolve(null);
  return new Promise((done) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'GET', rejectUnauthorized: false }, (response) => {
      response.destroy();
      finish(null);
    });
    const timer = setTimeout(() => {
      finish(`no answer within ${INDEX_WAIT_MS / 1000} s`);
      request.destroy();
    }, INDEX_WAIT_MS);
    function finish(why) {
      clearTimeout(timer);
      done(why);
    }
    request.on('error', (e) => finish(e.code ?? e.message));
    request.end();
  });
}

/** Whether a CUDA compiler can be found, as CMake looks for one (CUDACXX, CUDA_HOME, PATH, `roots`). */
function cudaCompilerFound(roots) {
  if (process.env.CUDACXX && existsSync(process.env.CUDACXX)) return true;
  const homes = [process.env.CUDA_HOME, process.env.CUDA_PATH, ...roots].filter(Boolean);
  if (homes.some((h) => existsSync(join(h, 'bin', 'nvcc')))) return true;
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'nvcc')));
}

/** The Python the private environment is made with. */
const basePython = () => process.env.DISTPROMPT_PYTHON || 'python3';

/** What pip installs into the private environment. */
const torchSpec = () => process.env.DISTPROMPT_TORCH_SPEC?.trim() || 'torch';

export function manualCommands() {
  const index = torchIndex(basePython());
  return [
    // --clear: over a half-made environment, too
    `${basePython()} -m venv --clear ${privateEnv}`,
    `${privatePython} -m pip install ${index ? `--index-url ${index} ` : ''}${torchSpec()}`,
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
    const name = process.env.DISTPROMPT_TORCH_DIR ? 'DISTPROMPT_TORCH_DIR' : 'Torch_DIR';
    const dir = torchConfigDir(resolve(explicit));
    if (!dir) {
      const what = !existsSync(explicit)
        ? 'does not exist'
        : statSync(explicit).isDirectory()
          ? 'holds no TorchConfig.cmake (nor Torch/ or share/cmake/Torch/ under it)'
          : 'is a file, not a folder';
      throw new Error(
        `${name}=${explicit} ${what}. Point it at a libtorch 2.x folder ` +
          `(for pip's torch: python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').`,
      );
    }
    // Its version, where its cmake files say it (TorchConfigVersion.cmake): a 1.x is named now,
    // not by cmake in the middle of the build's output.
    const said = /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(readIfThere(join(dir, 'TorchConfigVersion.cmake')));
    if (said && !majorOk(said[1])) {
      throw new Error(
        `${name}=${explicit} is libtorch ${said[1]}: libtorch 2.x is required. Point it at a libtorch 2.x ` +
          `(for pip's torch: python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').`,
      );
    }
    return { version: said ? said[1] : 'unknown (explicit)', torchDir: dir, source: 'DISTPROMPT_TORCH_DIR' };
  }
  const pythons = [process.env.DISTPROMPT_PYTHON, 'python3', privatePython].filter(Boolean);
  for (const py of pythons) {
    if (py === privatePython && !privateTorchComplete()) continue;
    const probe = probePython(py);
    if (probe.reason) {
      // A DISTPROMPT_PYTHON that cannot even start is a mistake to name, not to pass over; one
      // without torch still picks the Python the private environment is made with.
      if (py === process.env.DISTPROMPT_PYTHON && !probe.runs) {
        throw new Error(
          `DISTPROMPT_PYTHON=${py}: ${probe.reason}. Set it to a Python 3 executable (one with torch 2.x to build ` +
            'against its libtorch), or unset it.',
        );
      }
      if (py === process.env.DISTPROMPT_PYTHON || (probe.runs && !probe.noTorch)) log(`distprompt: not using ${py}: ${probe.reason}`);
      continue;
    }
    const found = probe.found;
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

/** How a stopped child ended, in words: "exit 1", "stopped by SIGTERM". */
const ending = (r) => (r.signal ? `stopped by ${r.signal}` : `exit ${r.status}`);

/** `python -m venv` the private environment, with DISTPROMPT_PYTHON or python3; nothing is left where that fails. */
function makePrivateEnv() {
  const folder = dirname(privateEnv);
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
  } catch (e) {
    throw new Error(
      `the folder libtorch is fetched into, ${folder}, cannot be written (${e.code}): make it writable, or set ` +
        `DISTPROMPT_TORCH_DIR to a libtorch 2.x you have (or DISTPROMPT_PYTHON to a Python with torch 2.x), ${THEN_REBUILD}.`,
    );
  }
  const venv = spawnSync(basePython(), ['-m', 'venv', privateEnv], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const unstarted = notRunnable(basePython(), venv);
  if (unstarted) {
    throw new Error(
      `libtorch is fetched with pip into a Python environment of its own, and no Python to make it with was found: ${unstarted}. ` +
        `Install Python 3 (Debian: apt install python3 python3-venv) or set DISTPROMPT_PYTHON to one, or set ` +
        `DISTPROMPT_TORCH_DIR to a libtorch 2.x you have; ${THEN_REBUILD}.`,
    );
  }
  if (venv.status !== 0) {
    rmSync(privateEnv, { recursive: true, force: true });
    const said = (venv.stderr || '').trim().split('\n').slice(-3).join('\n  ');
    throw new Error(
      `\`${basePython()} -m venv\` could not make ${privateEnv} (${ending(venv)}):\n  ${said}\n` +
        `Install Python's venv module (Debian: apt install python3-venv) or set DISTPROMPT_PYTHON to a Python that has it, ${THEN_REBUILD}.`,
    );
  }
}

/**
 * What DISTPROMPT_TORCH_SPEC asks of the finished private environment that pip was not last asked
 * to install into it: { asked, recorded } (recorded null where nothing is: an environment made
 * before the spec was recorded), or null. Unset asks for nothing: whatever torch is there.
 */
export function privateSpecChange() {
  const asked = process.env.DISTPROMPT_TORCH_SPEC?.trim();
  if (!asked) return null;
  const recorded = readIfThere(specRecord).trim() || null;
  return asked === recorded ? null : { asked, recorded };
}

/**
 * Create the private environment and pip install torch into it. One left half-made (see
 * privateTorchComplete) is removed first, saying so. A finished one whose torch findTorch could not
 * use (its reason logged there) is kept and pip asked again: a probe that failed for a while (a busy
 * machine) must not cost a working environment, which other checkouts may share. `respec`
 * (privateSpecChange's): a finished one that DISTPROMPT_TORCH_SPEC asks other torch of, installed
 * into it.
 */
export async function installPrivateTorch(log, respec = null) {
  if (existsSync(privateEnv) && !privateTorchComplete()) {
    log(`distprompt: removing ${privateEnv} to make it again: it was left half-made (its install was stopped before torch was in place)`);
    rmSync(privateEnv, { recursive: true, force: true });
  }
  if (respec) {
    const was = respec.recorded ?? 'a torch whose spec was not recorded';
    log(`distprompt: DISTPROMPT_TORCH_SPEC=${respec.asked}, and ${privateEnv} was filled with ${was}: installing ${respec.asked} into it`);
  } else {
    log(`distprompt: no libtorch found; installing Python torch into ${privateEnv}`);
    log('distprompt: (set DISTPROMPT_TORCH_DIR to use your own libtorch, DISTPROMPT_NO_AUTO_TORCH=1 to skip this)');
  }
  const made = !existsSync(privatePython);
  if (made) makePrivateEnv();
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check'];
  const index = torchIndex(privatePython);
  const unanswered = index && (await indexUnanswered(index));
  if (unanswered && pipOtherSources(privatePython)) {
    log(`distprompt: the torch index ${index} does not answer (${unanswered}): installing without --index-url, from the find-links and extra indexes pip is set up with`);
  } else if (unanswered) {
    // Nothing of torch is in an environment made just now: nothing is left half-made.
    if (made) rmSync(privateEnv, { recursive: true, force: true });
    throw new Error(
      `the torch index ${index} does not answer (${unanswered}), and pip has no other source (find-links, extra-index-url): set ` +
        'DISTPROMPT_TORCH_INDEX to an index this machine reaches (a mirror), or DISTPROMPT_TORCH_DIR to a libtorch 2.x you have, or ' +
        `DISTPROMPT_NO_AUTO_TORCH=1 for the commands to run by hand; ${THEN_REBUILD}.`,
    );
  } else if (index) args.push('--index-url', index);
  const spec = torchSpec();
  args.push(...(process.env.DISTPROMPT_PIP_ARGS ? process.env.DISTPROMPT_PIP_ARGS.split(/\s+/).filter(Boolean) : []));
  args.push(spec);
  log(`distprompt: ${privatePython} ${args.join(' ')}   (a few minutes: the wheel is large)`);
  const r = spawnSync(privatePython, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    const asked = process.env.DISTPROMPT_TORCH_SPEC?.trim()
      ? ` It was asked for ${spec} (DISTPROMPT_TORCH_SPEC): check that pip can find it, or unset the variable.`
      : '';
    const next = respec ? 'The next install asks pip again' : 'The next install makes that environment again';
    throw new Error(
      `pip could not install torch into ${privateEnv} (${ending(r)}; pip's output above).${asked} ${next}; or do it by hand, ` +
        `then rebuild:\n  ${manualCommands().join('\n  ')}`,
    );
  }
  const probe = probePython(privatePython);
  if (!probe.found) {
    throw new Error(`pip installed torch into ${privateEnv}, but ${probe.reason} (pip's output above). Remove ${privateEnv}, ${THEN_REBUILD}.`);
  }
  if (!majorOk(probe.found.version)) {
    throw new Error(
      `pip installed torch ${probe.found.version} into ${privateEnv}: libtorch 2.x is required. Set DISTPROMPT_TORCH_SPEC ` +
        `to a torch 2.x (or unset it), ${THEN_REBUILD}.`,
    );
  }
  writeFileSync(specRecord, `${spec}\n`);
  return { ...probe.found, source: respec ? 'private environment (DISTPROMPT_TORCH_SPEC installed)' : 'private environment (new)' };
}
