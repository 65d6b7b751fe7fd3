#!/usr/bin/env bash
# Configures and builds kmsguard into ./build (or $KMSGUARD_BUILD_DIR). Extra arguments go to
# CMake, e.g. scripts/build.sh -DKMSGUARD_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${KMSGUARD_BUILD_DIR:-build}"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S . -B "$build_dir" "${generator[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
