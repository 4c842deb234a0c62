#!/usr/bin/env bash
# One script to run on a machine with a CUDA GPU (CUDA 13, nvcc, cmake, Python torch with CUDA;
# it needs neither Node nor the network there): unpack the packed Node and node_modules + dist/,
# build the addon against that torch's libtorch (sm_90), run the CUDA tests, the GPU-vs-CPU parity
# check and the GPU benchmarks (CUDA graphs against eager epochs among them), and leave the log, a
# summary and the results JSON under $OUT (default: out/ in the repo root).
#
# Before: `nice -n 19 bash scripts/pack-device.sh` on the development machine (fills the ignored
# .device/); copy the working tree with .device/ to the GPU machine; there, from the repo root:
#   bash bench/gpu/run.sh
# Everything fits in DISTPROMPT_GPU_BUDGET_S (480 s): each stage gets min(its cap, time left);
# a stage that fails does not stop the ones that do not need it; the summary says which passed.
#
# DISTPROMPT_GPU_REHEARSAL=cpu: the same stages on CPU (float32, small models, --quick benches,
# torch from DISTPROMPT_TORCH_DIR or DISTPROMPT_PYTHON, default the package's private environment
# .distprompt-torch/venv in the repo root), to prove the script end to end without a GPU;
# bench/gpu/rehearse.sh runs it the way a bare GPU machine would (fresh copy, no Node, no network).
# Other knobs: DISTPROMPT_FORCE_CARRIED_NODE=1 (use .device/node.xz even if node is on PATH),
# DISTPROMPT_CUDA_ARCH (90), DISTPROMPT_TORCH_DIR, DISTPROMPT_PYTHON (python3),
# DISTPROMPT_GPU_STAGES (a comma list: run only these stages), DISTPROMPT_GPU_BUDGET_S (480 on the
# GPU, 7200 in the rehearsal), DISTPROMPT_GPU_CAP_SCALE (multiplies every stage's cap; 8 in the
# rehearsal, for a small machine that builds and runs far slower than a 16-core GPU machine).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-run.log") 2>&1
TEE_PID=$!
T0=$(date +%s)
now() { echo $(( $(date +%s) - T0 )); }

REHEARSAL=${DISTPROMPT_GPU_REHEARSAL:-}
if [ -n "$REHEARSAL" ] && [ "$REHEARSAL" != cpu ]; then
  echo "DISTPROMPT_GPU_REHEARSAL=$REHEARSAL: only 'cpu' is known" >&2
  exit 2
fi
if [ "$REHEARSAL" = cpu ]; then
  DEVICE=cpu
  BUDGET=${DISTPROMPT_GPU_BUDGET_S:-7200}
  SCALE=${DISTPROMPT_GPU_CAP_SCALE:-8}   # a 2-core machine, not a 16-core one: every stage's cap × 8
  PY=${DISTPROMPT_PYTHON:-$ROOT/.distprompt-torch/venv/bin/python}
else
  DEVICE=cuda
  BUDGET=${DISTPROMPT_GPU_BUDGET_S:-480}
  SCALE=${DISTPROMPT_GPU_CAP_SCALE:-1}
  PY=${DISTPROMPT_PYTHON:-python3}
fi
TAG=${DEVICE//:/}
DEADLINE=$(( T0 + BUDGET ))
RESERVE=10   # seconds kept back at the end for the summary and the copies to $OUT
export HF_HUB_OFFLINE=1 DISTPROMPT_NO_AUTO_TORCH=1 DISTPROMPT_PYTHON=$PY
unset DISTPROMPT_BUILD_DIR DISTPROMPT_ADDON
MARK=$(mktemp)   # results newer than this were written by this run
echo "=== bench/gpu/run.sh: device $DEVICE${REHEARSAL:+ (rehearsal)}, budget ${BUDGET}s, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(hostname)"

# ---------------------------------------------------------------------------------------------
# Stage runner: stage NAME CAP_SECONDS "DEPENDENCIES" FUNCTION
declare -a S_NAME=() S_RESULT=() S_SECS=()
declare -A PASSED=()
WANT=${DISTPROMPT_GPU_STAGES:-}
stage() {
  local name=$1 cap=$2 deps=$3 fn=$4 left t s rc result
  # Not among DISTPROMPT_GPU_STAGES: not run, and taken as done (a rerun of some stages on a
  # machine where the others already ran, e.g. DISTPROMPT_GPU_STAGES=tune,scaling after a build).
  if [ -n "$WANT" ] && [[ ",$WANT," != *",$name,"* ]]; then PASSED[$name]=1; return; fi
  for d in $deps; do
    if [ -z "${PASSED[$d]:-}" ]; then
      echo "=== [$name] SKIPPED: needs '$d', which did not pass ($(now)s)"
      S_NAME+=("$name"); S_RESULT+=("SKIPPED (needs $d)"); S_SECS+=(0)
      return
    fi
  done
  cap=$(( cap * SCALE ))
  left=$(( DEADLINE - $(date +%s) - RESERVE ))
  t=$(( cap < left ? cap : left ))
  if [ "$t" -lt 15 ]; then
    echo "=== [$name] SKIPPED: out of time (${left}s left of the budget) ($(now)s)"
    S_NAME+=("$name"); S_RESULT+=("SKIPPED (out of time)"); S_SECS+=(0)
    return
  fi
  echo
  echo "=== [$name] start, limit ${t}s ($(now)s)"
  s=$(date +%s)
  export -f "$fn"
  timeout -k 10 "$t" bash -c "$fn"
  rc=$?
  s=$(( $(date +%s) - s ))
  case $rc in
    0) result=PASS; PASSED[$name]=1 ;;
    124 | 137) result="TIMEOUT after ${t}s" ;;
    *) result="FAIL (exit $rc)" ;;
  esac
  echo "=== [$name] $result in ${s}s ($(now)s)"
  S_NAME+=("$name"); S_RESULT+=("$result"); S_SECS+=("$s")
  collect
}
collect() {
  # After every stage, so that a run cut short still leaves what it measured. At most 8 files, to
  # keep what comes back from the GPU machine small: gpu-run.log, summary.txt, results.tar.gz
  # (every JSON this run wrote, and build-info.json) and the first 5 JSON files under results/.
  local f
  mkdir -p "$OUT/results"
  for f in $(find bench/results -maxdepth 1 -name '*.json' -newer "$MARK" -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2); do
    if [ -f "$OUT/results/${f##*/}" ] || [ "$(ls "$OUT/results" | wc -l)" -lt 5 ]; then cp "$f" "$OUT/results/"; fi
  done
  tar -czf "$OUT/results.tar.gz.part" $(find bench/results -maxdepth 1 -name '*.json' -newer "$MARK") 2>/dev/null \
    && mv "$OUT/results.tar.gz.part" "$OUT/results.tar.gz"
  rm -f "$OUT/results.tar.gz.part"
}
export ROOT OUT DEVICE TAG PY REHEARSAL

# ---------------------------------------------------------------------------------------------
st_node() {
  set -e
  if [ "${DISTPROMPT_FORCE_CARRIED_NODE:-}" = 1 ] || ! command -v node >/dev/null; then
    [ -f .device/node.xz ] || { echo "no node on PATH and no .device/node.xz (run scripts/pack-device.sh, copy .device with the tree)"; exit 1; }
    mkdir -p .device/bin
    xz -dc .device/node.xz > .device/bin/node.part && chmod +x .device/bin/node.part && mv .device/bin/node.part .device/bin/node
    echo "node: the carried one, .device/bin/node"
    export PATH=$ROOT/.device/bin:$PATH
  else
    echo "node: $(command -v node) from PATH"
  fi
  node --version
}
st_unpack() {
  set -e
  [ -f .device/bundle.tar.xz ] || { echo "no .device/bundle.tar.xz (run scripts/pack-device.sh, copy .device with the tree)"; exit 1; }
  rm -rf dist
  xz -dc .device/bundle.tar.xz | tar -xf -
  echo "unpacked node_modules/ ($(ls node_modules | wc -l) entries) and dist/"
  sed -n '1,5p' .device/manifest.txt
  local packed here
  packed=$(sed -n 's/^src: //p' .device/manifest.txt)
  here=$( { find lib bench -type f -name '*.ts' | LC_ALL=C sort | xargs sha256sum; sha256sum tsconfig.json; } | sha256sum | cut -c1-16)
  if [ "$packed" != "$here" ]; then
    echo "WARNING: dist/ was compiled from other sources (src $packed) than this tree's lib/ + bench/ (src $here):"
    echo "WARNING: the benchmarks run the packed code; the tests (vitest, on the sources) run this tree's. Re-run scripts/pack-device.sh."
    echo "dist-stale" > .device/dist-stale
  else
    echo "dist/ matches this tree's sources (src $here)"
    rm -f .device/dist-stale
  fi
}
st_build() {
  set -e
  if [ -z "${DISTPROMPT_TORCH_DIR:-}" ]; then
    DISTPROMPT_TORCH_DIR=$("$PY" -c 'import torch;print(torch.utils.cmake_prefix_path)')
  fi
  export DISTPROMPT_TORCH_DIR
  "$PY" -c 'import torch;print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  if [ "$DEVICE" != cpu ]; then
    export DISTPROMPT_CUDA_ARCH=${DISTPROMPT_CUDA_ARCH:-90}
    [ -d /usr/local/cuda/bin ] && export PATH=$PATH:/usr/local/cuda/bin
    if command -v nvcc >/dev/null; then export CUDACXX=${CUDACXX:-$(command -v nvcc)}; nvcc --version | tail -2; fi
  fi
  if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
    # pip's cmake / ninja live beside the Python that holds torch
    PATH=$PATH:$("$PY" -c 'import os,sys;print(os.path.dirname(sys.executable))')
    command -v cmake >/dev/null || PATH=$PATH:$("$PY" -c 'import cmake;print(cmake.CMAKE_BIN_DIR)' 2>/dev/null)
    export PATH
  fi
  export DISTPROMPT_BUILD_JOBS=${DISTPROMPT_BUILD_JOBS:-$(nproc)}
  echo "torch: $DISTPROMPT_TORCH_DIR; arch ${DISTPROMPT_CUDA_ARCH:-none}; $DISTPROMPT_BUILD_JOBS jobs; $(cmake --version | head -1); $(c++ --version | head -1)"
  node scripts/install.mjs --force
  mkdir -p bench/results
  node -e "import('./dist/lib/index.js').then(m=>{const i=m.buildInfo();console.log(JSON.stringify(i));require('fs').writeFileSync('bench/results/build-info.json',JSON.stringify(i,null,1))})"
}
st_cuda() {
  # The build must really be a CUDA one that sees a GPU; else every --device cuda stage fails.
  nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.sm,driver_version --format=csv || true
  node -e "import('./dist/lib/index.js').then(m=>{const i=m.buildInfo();console.log('cudaBuild',i.cudaBuild,'cudaDevices',i.cudaDevices);process.exit(i.cudaBuild&&i.cudaDevices>0?0:1)})"
}
st_tests() {
  # cuda.test.ts (models and tuner on the GPU) and kernels.test.ts have the CUDA cases (skipped
  # with a NOTICE where cudaDevices = 0); the others run on the CPU as a control.
  NO_COLOR=1 node node_modules/vitest/vitest.mjs run --reporter=verbose test/cuda.test.ts test/kernels.test.ts test/memory.test.ts test/parity-golden.test.ts test/tune.test.ts
}
st_parity() {
  node bench/gpu/cuda-parity.mjs --device "$DEVICE"
}
st_kernels() {
  if [ -n "$REHEARSAL" ]; then node dist/bench/kernels.js --device "$DEVICE" --quick
  else node dist/bench/kernels.js --device "$DEVICE"; fi
}
st_tune() {
  if [ -n "$REHEARSAL" ]; then node dist/bench/tune.js --device "$DEVICE" --quick --models random:micro
  else node dist/bench/tune.js --device "$DEVICE" --dtype bfloat16 --models random:llama-3.2-1b,random:llama-3-8b --reps 1; fi
}
st_bound() {
  # The head bounds' seconds against the sweep they belong to (goal: under 10%), on Llama-3-8B.
  # The rehearsal's model has the Llama-3 vocabulary too; a random preset loads no tokenizer, so
  # neither needs the Llama-3 one.
  if [ -n "$REHEARSAL" ]; then node dist/bench/bound.js --device "$DEVICE" --quick --model random:tiny-llama3
  else node dist/bench/bound.js --device "$DEVICE" --model random:llama-3-8b --dtype bfloat16 --entropy 0:max:2 --inits 2 --max-epochs 60; fi
}
st_hard() {
  # Every method's row-epochs/s and FLOPs (soft, hard k = 1 and k = 8, hybrid HHSSS) on Llama-3-8B.
  if [ -n "$REHEARSAL" ]; then node dist/bench/methods.js --device "$DEVICE" --quick --models random:micro
  else node dist/bench/methods.js --device "$DEVICE" --dtype bfloat16 --models random:llama-3-8b --reps 1; fi
}
st_choices() {
  # Each kernel choice on against off (speed and KL agreement): with test/cuda.test.ts passing,
  # the evidence for turning its CUDA default on (native/model/kernel_choice.h). Llama-3.2-1B
  # (grouped-query, RMSNorm): six loads of it fit the cap, six of an 8B would not.
  if [ -n "$REHEARSAL" ]; then node dist/bench/kernel-choices.js --device "$DEVICE" --quick
  else node dist/bench/kernel-choices.js --device "$DEVICE" --dtype bfloat16 --model random:llama-3.2-1b --gqa-model random:llama-3.2-1b --batch 256 --quick; fi
}
st_plan() {
  # study --plan's calibration against the study it plans, one process (exit 1 outside 2x).
  # random:gpt2 and random:demo load the GPT-2 tokenizer, which is packed (llama3's is not); a study of
  # sub-second sweeps (random:micro) is too small to hold to 2x on a shared CPU.
  if [ -n "$REHEARSAL" ]; then node dist/bench/plan.js --device "$DEVICE" --studies methods --scale smoke --models random:demo --calibration-s 2
  else node dist/bench/plan.js --device "$DEVICE" --dtype bfloat16 --studies methods --scale smoke --models random:gpt2; fi
}
st_paperplan() {
  # The whole paper planned on this GPU (study all --plan at paper scale: calibration only, nothing
  # written), the answer to "an hour or a week?" before a run. The pack carries the Llama-3 tokenizer's data.
  set -o pipefail
  if [ -n "$REHEARSAL" ]; then node dist/lib/cli/main.js study all -m random:demo --device "$DEVICE" --scale smoke --plan --json | tee bench/results/paper-plan-cpu.json | tail -c 2000
  else node dist/lib/cli/main.js study all -m random:llama-3-8b --device "$DEVICE" --dtype bfloat16 --scale paper --plan --json | tee bench/results/paper-plan-cuda.json | tail -c 2000; fi
}
st_profile() {
  # Where an epoch's time goes (each op synchronised on the GPU), soft and hard, against its floors.
  if [ -n "$REHEARSAL" ]; then node dist/bench/tune.js --profile --device "$DEVICE" --quick --methods soft,hard:k=1
  else node dist/bench/tune.js --profile --device "$DEVICE" --dtype bfloat16 --models random:llama-3-8b --methods soft,hard:k=1 --epochs 2; fi
}
st_scaling() {
  if [ -n "$REHEARSAL" ]; then node dist/bench/scaling.js --device "$DEVICE" --quick --models random:micro --series batch
  else node dist/bench/scaling.js --device "$DEVICE" --dtype bfloat16 --models random:gpt2,random:llama-3.2-1b --limit-s 15 --reps 1; fi
}
st_graph() {
  # CUDA graph replay against eager epochs: rate ratio and KL agreement (exit 1 if they disagree).
  # Small batches, where launch overhead shows; not auto (~3,800 rows of llama-3.2-1b: too long for the cap).
  if [ -n "$REHEARSAL" ]; then node dist/bench/graph.js --device "$DEVICE" --quick
  else node dist/bench/graph.js --device "$DEVICE" --dtype bfloat16 --models random:gpt2,random:llama-3.2-1b --batches 16,64,256 --reps 1 --min-delta-s 0.5; fi
}
st_posgraph() {
  # Hard and hybrid epochs replayed as a CUDA graph (explicit cudaGraph: true; off by default until
  # this and test/cuda.test.ts's positional case pass) against eager epochs: speed and agreement.
  if [ -n "$REHEARSAL" ]; then node dist/bench/graph.js --device "$DEVICE" --quick --methods hard:k=1,hybrid:HHSSS --suffix -positional
  else node dist/bench/graph.js --device "$DEVICE" --dtype bfloat16 --models random:gpt2 --methods hard:k=1,hard:k=8,hybrid:HHSSS --batches 16,64 --reps 1 --min-delta-s 0.5 --suffix -positional; fi
}
st_positional() {
  # Hard and hybrid epochs: the prefix cache against the plain epoch, FLOPs saved, speed ratio, agreement.
  if [ -n "$REHEARSAL" ]; then node dist/bench/positional.js --device "$DEVICE" --quick
  else node dist/bench/positional.js --device "$DEVICE" --dtype bfloat16 --models random:gpt2,random:llama-3.2-1b --rows 64 --epochs 2 --reps 1; fi
}
st_falcon() {
  # Falcon-7B, the third family at full size, last: building 7B random weights takes a while.
  if [ -n "$REHEARSAL" ]; then node dist/bench/tune.js --device "$DEVICE" --quick --models random:demo --suffix -falcon
  else node dist/bench/tune.js --device "$DEVICE" --dtype bfloat16 --models random:falcon-7b --reps 1 --suffix -falcon; fi
}
st_batch() {
  # Whether a batch above the auto one is faster (evidence for the auto batch's memory share).
  if [ -n "$REHEARSAL" ]; then node dist/bench/batch.js --device "$DEVICE" --quick
  else node dist/bench/batch.js --device "$DEVICE" --dtype bfloat16 --models random:llama-3.2-1b --factors 2 --reps 1; fi
}
st_targets() {
  if [ -n "$REHEARSAL" ]; then node dist/bench/targets.js --device "$DEVICE" --quick
  else node dist/bench/targets.js --device "$DEVICE"; fi
}
st_sweep() {
  # The CLI end to end on the GPU: targets, tuner, Arrow results, resume bookkeeping.
  set -e
  local dir
  dir=$(mktemp -d)
  node dist/lib/cli/main.js sweep -m random:demo --device "$DEVICE" --targets vanilla,outlier --entropy 0,2,4,8 \
    --methods soft,hard:k=4,hybrid:HHSSS --inits 2 --max-epochs 40 --patience 10 -o "$dir/sweep.arrow" --no-figures
  node -e "import('./dist/lib/index.js').then(async m=>{const r=await m.readResults(process.argv[1]);const n=r.records.length;const b=r.metadata.build||{};console.log('read back',n,'rows; device',JSON.stringify(r.metadata.spec?.device),'build: torch',b.torchVersion??b.torch,'cudaBuild',b.cudaBuild??b.cuda,'cudaDevices',b.cudaDevices);process.exit(n>0&&r.records.every(x=>Number.isFinite(x.klNats))?0:1)})" "$dir/sweep.arrow"
}
st_python() {
  # Against a Python transformers loop on the same weights (python3 there has torch + transformers).
  if [ -n "$REHEARSAL" ]; then node dist/bench/python.js --device "$DEVICE" --preset tiny-gpt2 --quick
  else node dist/bench/python.js --device "$DEVICE" --preset llama-3.2-1b --dtype bfloat16 --python-rows 2 --rows 512 --steps 20; fi
}
export -f collect

#     name     cap  needs                  function
stage node      60  ""                     st_node
[ -x .device/bin/node ] && export PATH=$ROOT/.device/bin:$PATH
stage unpack    60  ""                     st_unpack
stage build    330  "node unpack"          st_build
# By priority, since a slow build leaves the last stages out of time: the tests, then the two
# short stages whose results decide CUDA defaults (kernel choices, positional CUDA graphs), then
# the headline figures (fraction of roofline on Llama-3-8B, every method on it, the paper planned,
# the plan against a measured run, where an epoch's time goes; against the Python loop), then the
# rest. The summary ends with the command that runs what the budget left out.
if [ "$DEVICE" = cpu ]; then
  stage tests  300  "build"                st_tests
  GPU=build
else
  stage cuda    30  "build"                st_cuda
  stage tests  150  "build"                st_tests
  GPU=cuda
fi
stage choices   90  "$GPU"                 st_choices
stage posgraph  90  "$GPU"                 st_posgraph
stage tune     150  "$GPU"                 st_tune
stage hard     150  "$GPU"                 st_hard
stage paperplan 150 "$GPU"                 st_paperplan
stage plan      90  "$GPU"                 st_plan
stage profile   90  "$GPU"                 st_profile
stage python   150  "$GPU"                 st_python
stage bound    120  "$GPU"                 st_bound
stage graph     90  "$GPU"                 st_graph
stage positional 90 "$GPU"                 st_positional
stage parity    90  "$GPU"                 st_parity
stage sweep     90  "$GPU"                 st_sweep
stage kernels   90  "$GPU"                 st_kernels
stage targets   60  "$GPU"                 st_targets
stage scaling  120  "$GPU"                 st_scaling
stage falcon   120  "$GPU"                 st_falcon
stage batch     90  "$GPU"                 st_batch

# ---------------------------------------------------------------------------------------------
collect
{
  echo "bench/gpu/run.sh on $(hostname), device $DEVICE${REHEARSAL:+ (rehearsal)}, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(now)s in all"
  [ -f .device/dist-stale ] && echo "WARNING: dist/ (benchmarks) was packed from other sources than this tree; see the unpack stage"
  printf '%-10s %-28s %s\n' stage result seconds
  for i in "${!S_NAME[@]}"; do printf '%-10s %-28s %s\n' "${S_NAME[$i]}" "${S_RESULT[$i]}" "${S_SECS[$i]}"; done
  echo "results: $(cd "$OUT/results" && ls | tr '\n' ' ')"
  # The stages the budget left out, as the one command that runs them next on this machine (its
  # build/ and unpacked node_modules are kept there): a second call of a lease, while it is warm.
  LATER=""
  for i in "${!S_NAME[@]}"; do
    if [ "${S_RESULT[$i]}" = "SKIPPED (out of time)" ]; then LATER+=",${S_NAME[$i]}"; fi
  done
  if [ -n "$LATER" ]; then echo "next: DISTPROMPT_GPU_STAGES=node,unpack${LATER} OUT=out bash bench/gpu/run.sh"; fi
} > "$OUT/summary.txt"
echo
echo "=== summary"
cat "$OUT/summary.txt"
rm -f "$MARK"
FAILED=0
for r in "${S_RESULT[@]}"; do [ "$r" = PASS ] || FAILED=1; done
exec 1>&- 2>&-
wait "$TEE_PID" 2>/dev/null
exit $FAILED
