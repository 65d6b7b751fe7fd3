#!/usr/bin/env bash
# Installs the validator's npm packages (pinned in package.json) into a work directory, offline
# when the npm cache has them, then validates every manifest under configs/kubernetes/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$1
work=$2
command -v node > /dev/null && command -v npm > /dev/null || { echo "skipped: no node/npm" >&2; exit 77; }
mkdir -p "$work"
cp "$here/package.json" "$here/validate_manifests.mjs" "$work/"
if [ ! -d "$work/node_modules/kubernetes-models" ]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error > npm.log 2>&1) ||
    { echo "skipped: npm install failed (offline?): $(tail -3 "$work/npm.log")" >&2; exit 77; }
fi
cd "$work"
exec node validate_manifests.mjs "$source_dir"/configs/kubernetes/*.yaml
