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
if [ ! -d "$work/node_modules/kubernetes-models" ] || [ ! -d "$work/node_modules/typescript" ]; then
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error > npm.log 2>&1) ||
    { echo "skipped: npm install failed (offline?): $(tail -3 "$work/npm.log")" >&2; exit 77; }
fi
cd "$work"
node validate_manifests.mjs "$source_dir"/configs/kubernetes/*.yaml
# The check must refuse what it exists for: fields the API does not know, named. A misspelt probe
# and a misspelt rolling-update field in a copy of the Deployment.
sed -e 's/readinessProbe:/readinessProbes:/' -e 's/maxUnavailable:/maxUnavailabel:/' \
  "$source_dir"/configs/kubernetes/deployment.yaml > misspelt-deployment.yaml
if node validate_manifests.mjs misspelt-deployment.yaml > misspelt.log 2>&1; then
  echo "FAIL: a Deployment with misspelt fields passed:" >&2; cat misspelt.log >&2; exit 1
fi
for field in readinessProbes maxUnavailabel; do
  grep -q "$field" misspelt.log || { echo "FAIL: $field not named:" >&2; cat misspelt.log >&2; exit 1; }
done
echo "misspelt fields refused and named"
