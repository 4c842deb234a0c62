#!/usr/bin/env bash
# One script for a borrowed GPU machine (CUDA 13, nvcc, cmake, Python torch with CUDA; no Node,
# no network): unpack the carried Node, build the addon against that torch's libtorch (sm_90),
# run the CUDA tests and the GPU benchmarks, leave the log and JSON under $OUT.
# Carry: .device/node.xz (xz of this machine's node binary) and node_modules/.
#   run(command="bash bench/gpu/run.sh", carry=[".device", "node_modules"], timeout_s=540)
set -uo pipefail
OUT=${OUT:-$PWD/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-run.log") 2>&1
t0=$(date +%s)
say() { echo "=== $* ($(( $(date +%s) - t0 ))s)"; }

say "node"
if ! command -v node >/dev/null; then
  mkdir -p .device/bin && xz -dc .device/node.xz > .device/bin/node && chmod +x .device/bin/node
  export PATH=$PWD/.device/bin:$PATH
fi
node --version
nvidia-smi --query-gpu=name,memory.total --format=csv || true

say "build against the machine's torch"
export DISTPROMPT_TORCH_DIR=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export DISTPROMPT_CUDA_ARCH=90 DISTPROMPT_BUILD_JOBS=16
node scripts/install.mjs --force || { say "build FAILED"; exit 1; }
node_modules/.bin/tsc -p tsconfig.json || exit 1
node -e "import('./dist/lib/index.js').then(m=>console.log(JSON.stringify(m.buildInfo(),null,1).slice(0,400)))"

say "CUDA tests (kernels, model parity, tuner)"
node_modules/.bin/vitest run test/kernels.test.ts test/parity-golden.test.ts test/tune.test.ts 2>&1 | tail -40

say "GPU benchmarks"
timeout 300 node dist/bench/kernels.js --device cuda
timeout 200 node dist/bench/tune.js --device cuda --dtype bfloat16 --models random:llama-3.2-1b,random:llama-3-8b
cp -r bench/results "$OUT/" 2>/dev/null
say "done"
