#!/usr/bin/env bash
# Rehearse bench/gpu/run.sh here, on CPU, the way a bare GPU machine would run it:
#   - a fresh copy of what goes to the GPU machine: the working tree (tracked +
#     untracked-not-ignored files) plus .device/ (nothing else: no node_modules, dist/ or build/);
#   - a PATH with every command of this one except node/npm/npx/corepack (the carried node is used);
#   - a clean environment and no network (unshare -n, where it works);
#   - OUT pointing at an empty folder, DISTPROMPT_GPU_REHEARSAL=cpu.
# Usage (after scripts/pack-device.sh):
#   nice -n 19 bash bench/gpu/rehearse.sh   # DEVSIM: the copy (default: a new temporary folder),
#                                           # DEVSIM_OUT: its OUT (default: $DEVSIM-out)
# Torch: DISTPROMPT_TORCH_DIR if set, else DISTPROMPT_PYTHON (default: this checkout's
# .distprompt-torch/venv or .torch-venv, the first that exists).
# The build takes several minutes on 2 cores; the stage timings are not a GPU machine's.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIM=${DEVSIM:-$(mktemp -d -t distprompt-devsim.XXXXXX)}
SIMOUT=${DEVSIM_OUT:-$SIM-out}
SIMBIN=${SIM}-bin
cd "$ROOT"
for f in .device/node.xz .device/bundle.tar.xz .device/manifest.txt; do
  [ -f "$f" ] || { echo "rehearse: $f missing; run scripts/pack-device.sh first" >&2; exit 1; }
done

rm -rf "$SIM" "$SIMOUT" "$SIMBIN"
mkdir -p "$SIM" "$SIMOUT" "$SIMBIN"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar -cf - --null -T - | tar -xf - -C "$SIM"
tar -cf - --exclude=.device/bin .device | tar -xf - -C "$SIM"
BYTES=$(du -sb "$SIM" | cut -f1)
echo "rehearse: $SIM holds $(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1048576}') MiB (what is copied to the GPU machine)"

# A PATH without node: links to the first of each command name on this PATH, node's excepted.
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    case $n in node | nodejs | npm | npx | corepack) continue ;; esac
    [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$SIMBIN/$n" ] && ln -s "$f" "$SIMBIN/$n"
  done
done
if PATH=$SIMBIN command -v node >/dev/null; then echo "rehearse: node still on the PATH" >&2; exit 1; fi

NET=()
if unshare -n true 2>/dev/null; then NET=(unshare -n); else echo "rehearse: unshare -n does not work here; running with the network" >&2; fi
ENV=(HOME="$HOME" PATH="$SIMBIN" LANG=C.UTF-8 OUT="$SIMOUT" DISTPROMPT_GPU_REHEARSAL=cpu)
# The copy has no Python environment of its own (ignored folders do not travel): this checkout's.
if [ -z "${DISTPROMPT_TORCH_DIR:-}" ] && [ -z "${DISTPROMPT_PYTHON:-}" ]; then
  for p in "$ROOT/.distprompt-torch/venv/bin/python" "$ROOT/.torch-venv/bin/python"; do
    if [ -x "$p" ]; then DISTPROMPT_PYTHON=$p; break; fi
  done
fi
for v in DISTPROMPT_TORCH_DIR DISTPROMPT_PYTHON DISTPROMPT_GPU_BUDGET_S DISTPROMPT_GPU_CAP_SCALE DISTPROMPT_GPU_STAGES DISTPROMPT_BUILD_JOBS DISTPROMPT_FORCE_CARRIED_NODE; do
  [ -n "${!v:-}" ] && ENV+=("$v=${!v}")
done
echo "rehearse: running bench/gpu/run.sh in $SIM (OUT=$SIMOUT, ${NET[*]:-network on})"
cd "$SIM"
set +e
"${NET[@]}" env -i "${ENV[@]}" bash bench/gpu/run.sh
rc=$?
echo "rehearse: run.sh exited $rc; $SIMOUT holds:"
(cd "$SIMOUT" && find . -type f | sort | while read -r f; do printf '  %s %s\n' "$(stat -c %s "$f")" "$f"; done)
n=$(find "$SIMOUT" -type f | wc -l)
[ "$n" -le 8 ] || echo "rehearse: WARNING: $n files under OUT; run.sh is meant to leave at most 8 there" >&2
exit $rc
