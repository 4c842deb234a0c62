// Why the native build failed, read from its output: the line `npm install` ends on names the
// cause, where it listed three guesses under hundreds of lines of cmake and compiler output.

import { THEN_REBUILD as rebuild } from './torch-locate.mjs';

/** What each known failure looks like in the build's output, and what to tell the user. */
const CAUSES = [
  {
    seen: /distprompt needs libtorch 2\.x; found ([\w.+-]+)/,
    say: (m, torchDir) => `the libtorch at ${torchDir} is ${m[1]}; libtorch 2.x is required: set DISTPROMPT_TORCH_DIR to one, ${rebuild}`,
  },
  {
    seen: /Torch library (\S+) is not under the chosen libtorch/,
    say: (m) =>
      `a second libtorch on this machine (${m[1]}; Debian's libtorch-dev?) was found beside the chosen one: remove it, or set DISTPROMPT_TORCH_DIR so that only one is found, ${rebuild}`,
  },
  {
    seen: /No CMAKE_CUDA_COMPILER could be found|Failed to find nvcc|CUDA_ARCHITECTURES.*(?:invalid|is empty)/i,
    say: () =>
      `the libtorch found is a CUDA build, and building against it needs the CUDA toolkit (nvcc), which CMake did not find: install it (or set CUDACXX to its nvcc), or set DISTPROMPT_TORCH_DIR to a CPU libtorch, ${rebuild}`,
  },
  {
    seen: /CMake Error at (\S*TorchConfig\.cmake)|Error reading CMake code from\s+"(\S*TorchConfig\.cmake)"/,
    say: (m) =>
      `libtorch's cmake files (${m[1] ?? m[2]}) are broken or incomplete: reinstall that libtorch, or set DISTPROMPT_TORCH_DIR to another 2.x, ${rebuild}`,
  },
  {
    seen: /is not able to compile a simple test program/,
    say: () =>
      `the C++ compiler cannot build even CMake's test program (its error is above: a missing assembler or linker, say): install a complete toolchain (Debian: apt install build-essential), ${rebuild}`,
  },
  {
    seen: /Killed signal terminated program cc1plus|internal compiler error: Killed|c\+\+: fatal error: Killed/,
    say: () => `the compiler was killed, most likely for want of memory: set DISTPROMPT_BUILD_JOBS=1 (fewer compile jobs at once), ${rebuild}`,
  },
  {
    seen: /unrecognized command[- ]line option '-std=(?:c|gnu)\+\+20'|CXX_STANDARD is set to invalid value '20'/,
    say: () => `the C++ compiler does not know C++20: install g++ 10 or newer and set CXX to it, ${rebuild}`,
  },
  {
    seen: /No space left on device/,
    say: () => `the disk is full: free space where the build folder is (or set DISTPROMPT_BUILD_DIR elsewhere), ${rebuild}`,
  },
];

/** The cause of a failed build in words, from its `output` (the last of it will do); null when unknown. */
export function buildFailureCause(output, torchDir) {
  for (const { seen, say } of CAUSES) {
    const m = seen.exec(output);
    if (m) return say(m, torchDir);
  }
  return null;
}
