#!/usr/bin/env bash
# Fixture kmsguard_installed: `cmake --install BUILD --prefix PREFIX --strip` into an empty PREFIX
# (both components: the runtime and the C++ client). Later tests run what is installed there.
set -euo pipefail
cmake=$1 build=$2 prefix=$3
rm -rf "$prefix"
log=$build/install-test.log
if ! "$cmake" --install "$build" --prefix "$prefix" --strip >"$log" 2>&1; then
  cat "$log"
  echo "install.prefix: cmake --install failed" >&2
  exit 1
fi
test -x "$prefix/bin/kmsguard" || { echo "install.prefix: no $prefix/bin/kmsguard" >&2; exit 1; }
echo "installed into $prefix ($(wc -l <"$build/install_manifest.txt") files)"
