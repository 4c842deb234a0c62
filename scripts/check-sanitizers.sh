#!/usr/bin/env bash
# The native addon under AddressSanitizer and UBSan: builds it into a folder of its own (never
# build/), then runs native-heavy test files against it one at a time, with the sanitizer runtime
# preloaded (node itself is not instrumented) and every report collected, not only the first.
# Exit 1 on a report whose stack passes through native/ (ours), a failing test file or a failed
# build; a report whose frames are all in libtorch, c10 or node is listed as not ours and does not
# count. Run by hand before changing native code: on two cores the build takes 5 to 10 minutes and
# the tests longer, too long for CI.
#
#   scripts/check-sanitizers.sh                          # build, then the default list below
#   scripts/check-sanitizers.sh test/kernels.test.ts     # named test files instead
#   scripts/check-sanitizers.sh --no-build [files...]    # against the last build
#
# The build folder is build-asan/ (its reports under build-asan/sanitizer-logs/);
# DISTPROMPT_BUILD_JOBS sets the compile jobs (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$root/build-asan
jobs=${DISTPROMPT_BUILD_JOBS:-2}
build_it=1
if [ "${1:-}" = --no-build ]; then
  build_it=0
  shift
fi

# The files that drive the native code hardest: kernels, the boundary, the bound solvers, the
# tuner's epochs, target synthesis, models and hostile checkpoints. kernels.test.ts runs twice:
# with the AVX2 build of the CPU KL and with the baseline one (DISTPROMPT_NO_AVX2=1). Left out
# unless named: tune-fixed-positional (over 5 minutes under the sanitizers on two cores).
default_tests=(
  test/kernels.test.ts test/kernel-choices.test.ts test/kl-agreement.test.ts test/native-boundary.test.ts
  test/native-input-checks.test.ts test/bound.test.ts test/bound-bottleneck-newton.test.ts
  test/bound-cancel.test.ts test/bound-figures.test.ts test/bound-price.test.ts test/bound-sphere.test.ts
  test/bound-sweep.test.ts test/tune-reference.test.ts test/tune-prefix-cache.test.ts test/targets-batch.test.ts
  test/soft-prompts.test.ts test/parity-golden.test.ts test/model.test.ts test/checkpoint-hostile.test.ts
)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("${default_tests[@]}")

libasan=$(gcc -print-file-name=libasan.so)
if [ ! -f "$libasan" ]; then
  echo "check-sanitizers: gcc has no libasan.so (Debian: apt install libasan8 libubsan1)" >&2
  exit 1
fi

if [ $build_it = 1 ]; then
  # The libtorch `npm run build:native` would use (scripts/torch-locate.mjs), found, never fetched.
  torch=$(node --input-type=module -e "
    import { findTorch } from './scripts/torch-locate.mjs';
    const t = findTorch();
    if (!t) process.exit(1);
    console.log(t.torchDir);") || {
    echo "check-sanitizers: no libtorch found: run npm run build:native first" >&2
    exit 1
  }
  # A fresh configure, as scripts/install.mjs makes: cmake-js would keep a cached libtorch.
  # `build`, not `compile`: a failed compile would remove the whole folder and build it again.
  rm -f "$build/CMakeCache.txt"
  DISTPROMPT_BUILD_JOBS=$jobs node node_modules/cmake-js/bin/cmake-js build --directory "$root" --out "$build" \
    "--CDTorch_DIR=$torch" --CDDP_SANITIZE=ON --parallel "$jobs"
fi
addon=$build/Release/distprompt.node
[ -f "$addon" ] || { echo "check-sanitizers: no addon at $addon" >&2; exit 1; }

logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
failed=()
run() {  # name, test file, extra environment...
  local name=$1 file=$2
  shift 2
  mkdir -p "$logs/$name"
  echo "check-sanitizers: $file${*:+ ($*)}"
  # Both runtimes write their reports to files (the addon points UBSan's there too, see
  # native/addon/sanitizer_reports.cc), so a child process whose stderr a test captures keeps them.
  if ! env "$@" DISTPROMPT_ADDON="$addon" LD_PRELOAD="$libasan" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=0:log_path=$logs/$name/report" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$logs/$name/report" \
    npx vitest run "$file" >"$logs/$name/vitest.log" 2>&1; then
    failed+=("$file${*:+ ($*)}")
    tail -30 "$logs/$name/vitest.log"
  fi
}
for file in "${tests[@]}"; do
  name=$(basename "$file" .test.ts)
  run "$name" "$file"
  [ "$name" != kernels ] || run kernels-baseline "$file" DISTPROMPT_NO_AVX2=1
done

# Reports, one per block: ASan's start "==PID==ERROR:", UBSan's "file:line:col: runtime error:".
# Ours when a frame names a file under native/.
status=0
node - "$logs" "$root/native/" <<'EOF' || status=$?
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const [logs, native] = process.argv.slice(2);
const start = /^(==\d+==ERROR: |.*: runtime error: )/;
let ours = 0, theirs = 0;
for (const dir of readdirSync(logs)) {
  // vitest.log too: a UBSan report that reached stderr after all (the routing failed) is still one.
  for (const f of readdirSync(join(logs, dir)).filter((f) => f.startsWith('report.') || f === 'vitest.log')) {
    const blocks = [];
    for (const line of readFileSync(join(logs, dir, f), 'utf8').split('\n')) {
      if (start.test(line)) blocks.push([]);
      if (blocks.length) blocks.at(-1).push(line);
    }
    for (const b of blocks) {
      const mine = b.some((l) => l.includes(native));
      mine ? ours++ : theirs++;
      console.log(`\n--- ${mine ? 'OURS' : 'not ours (libtorch/c10/node frames only)'}: ${dir}/${f}`);
      console.log(b.slice(0, 14).join('\n'));
    }
  }
}
console.log(`\ncheck-sanitizers: ${ours} report(s) in our code, ${theirs} elsewhere; logs in ${logs}`);
process.exitCode = ours ? 1 : 0;
EOF
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-sanitizers: test files failed under the sanitizers: ${failed[*]}"
  status=1
fi
exit $status
