#!/usr/bin/env bash
# The package as a user gets it: pack, install into an empty folder (which builds the addon
# against the libtorch found the usual way), and run the CLI there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
tgz=$(npm pack --silent --pack-destination "$work" | tail -1)
cd "$work"
npm init -y >/dev/null
# Reuse the torch this checkout found, so the check does not download it twice.
if [ -z "${DISTPROMPT_TORCH_DIR:-}" ] && [ -f "$root/build/torch.json" ]; then
  export DISTPROMPT_TORCH_DIR=$(node -p "require('$root/build/torch.json').torchDir")
fi
DISTPROMPT_BUILD_JOBS=${DISTPROMPT_BUILD_JOBS:-2} npm install --no-audit --no-fund "$work/$tgz"
npx distprompt info
npx distprompt info --model random:micro --json | node -e "const o=JSON.parse(require('fs').readFileSync(0,'utf8'));if(o.model.vocabSize!==1000)process.exit(1);console.log('pack check: OK')"
