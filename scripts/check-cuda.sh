#!/usr/bin/env bash
# Compiles every native/kernels/*.cu with nvcc against the libtorch headers (sm_90), so that the
# CUDA code is proved to compile on machines without a GPU. It does not link or run anything:
# that needs a CUDA libtorch and a device (bench/gpu/run.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if [ ! -x "$nvcc" ]; then echo "check-cuda: SKIPPED — no nvcc"; exit 0; fi
prefix=$(cd "$root" && node scripts/torch-gyp.mjs prefix 2>/dev/null || true)
if [ -z "$prefix" ] || [ ! -f "$prefix/include/c10/cuda/CUDAStream.h" ]; then
  echo "check-cuda: SKIPPED — no libtorch with ATen/cuda headers found"; exit 0
fi
abi=$(cd "$root" && node scripts/torch-gyp.mjs abi)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# A CPU wheel ships the c10/cuda headers but not the one CMake generates for CUDA builds;
# supply what a CUDA build generates (shared libraries) so the headers parse.
mkdir -p "$out/shim/c10/cuda/impl"
[ -f "$prefix/include/c10/cuda/impl/cuda_cmake_macros.h" ] || echo '#pragma once
#define C10_CUDA_BUILD_SHARED_LIBS' > "$out/shim/c10/cuda/impl/cuda_cmake_macros.h"
# One .cu compile (nvcc runs its front ends one after another, on one core).
compile_cu() {
  local cu=$1 name
  name=$(basename "$cu")
  if "$nvcc" -std=c++20 -arch=sm_90 -O3 -c "$cu" -o "$out/$name.o" \
      -I"$root/native" -I"$out/shim" -I"$prefix/include" -I"$prefix/include/torch/csrc/api/include" \
      -DDP_WITH_CUDA=1 -D_GLIBCXX_USE_CXX11_ABI="$abi" --expt-relaxed-constexpr \
      -Xcompiler -fPIC -w 2> "$out/$name.log"; then
    echo "check-cuda: $name compiles for sm_90"
  else
    echo "check-cuda: $name FAILED"; cat "$out/$name.log"; touch "$out/$name.failed"
  fi
}
# Every C++ source parsed on its own, as a CUDA build compiles it (its #ifdef DP_WITH_CUDA branches
# in): the unity build compiles sources in batches, where a file that lacks an #include borrows it
# from a file batched before it, and a build with another number of jobs batches them otherwise.
cuda_home=${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$nvcc")")")}
[ -f "$cuda_home/include/cuda_runtime.h" ] || cuda_home=$(ls -d /usr/local/cuda-*/ 2>/dev/null | sort -V | tail -1)
napi=$(cd "$root" && node -p "require('node-api-headers').include_dir" 2>/dev/null || true)
addon=$(cd "$root" && node -p "require('node-addon-api').include_dir" 2>/dev/null || true)
parse() {
  local cc=$1 name
  name=$(basename "$cc")
  # The AVX2 KL file's intrinsics need its own flags (CMakeLists.txt).
  local isa=()
  [ "$name" = kl_cpu_avx2.cc ] && isa=(-mavx2 -mfma -mf16c)
  if g++ -std=c++20 -fsyntax-only "${isa[@]}" "$cc" -I"$root/native" -I"$out/shim" -I"$prefix/include" \
      -I"$prefix/include/torch/csrc/api/include" -I"$cuda_home/include" -I"$napi" -I"$root/$addon" -I"$addon" \
      -DDP_WITH_CUDA=1 -DDP_TORCH_PREFIX='"x"' -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL \
      -D_GLIBCXX_USE_CXX11_ABI="$abi" -w 2> "$out/$name.log"; then
    echo "check-cuda: $name parses on its own with DP_WITH_CUDA"
  else
    echo "check-cuda: $name FAILED on its own with DP_WITH_CUDA"; head -30 "$out/$name.log"; touch "$out/$name.failed"
  fi
}
# Each job is mostly libtorch's headers: as many at once as build jobs, the .cu compiles (the
# longest jobs) first in the same pool, so that no core waits on them alone.
export -f compile_cu parse
export root out prefix cuda_home napi addon abi nvcc
jobs=${DISTPROMPT_BUILD_JOBS:-$(nproc)}
{ ls "$root"/native/kernels/*.cu | sed 's/^/compile_cu /'; ls "$root"/native/*/*.cc | sed 's/^/parse /'; } \
  | xargs -P "$jobs" -I{} bash -c 'job=$1; "${job%% *}" "${job#* }"' _ {}
if ls "$out"/*.failed >/dev/null 2>&1; then exit 1; fi
