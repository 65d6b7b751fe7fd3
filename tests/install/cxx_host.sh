#!/usr/bin/env bash
# A C++ host (cxx_host/) configured and built in WORK against the installed CMake package only
# (fixture kmsguard_installed: find_package(kmsguard CONFIG), kmsguard::client), then run against
# the installed `kmsguard serve` on a Unix socket: it must read the plugin's manifest and get the
# bundled example's 7 FAIL findings.
set -euo pipefail
cmake=$1 prefix=$2 source_dir=$3 work=$4 launcher=${5:-}
rm -rf "$work"
mkdir -p "$work"
sock_dir=$(mktemp -d)  # short: a Unix socket path holds at most 107 bytes
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  [ -z "$server" ] || wait "$server" 2>/dev/null || true
  rm -rf "$sock_dir"
}
trap cleanup EXIT
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
configure=(-S "$source_dir/tests/install/cxx_host" -B "$work" "${generator[@]}"
           -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug)
[ -z "$launcher" ] || configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
if ! "$cmake" "${configure[@]}" >"$work/configure.log" 2>&1; then
  cat "$work/configure.log"; echo "cxx_host: find_package(kmsguard) against $prefix failed" >&2; exit 1
fi
if ! "$cmake" --build "$work" >"$work/build.log" 2>&1; then
  tail -50 "$work/build.log"; echo "cxx_host: building against the installed package failed" >&2; exit 1
fi

"$prefix/bin/kmsguard" serve --listen "unix:$sock_dir/plugin.sock" --quiet &
server=$!
"$work/cxx_host" "unix:$sock_dir/plugin.sock" "$source_dir/docs/examples/account-authorization-details.json" \
  >"$work/out.txt"
cat "$work/out.txt"
grep -qE '^plugin kmsguard [0-9.]+ rules=[1-9]' "$work/out.txt" || { echo "cxx_host: no manifest line" >&2; exit 1; }
grep -qx 'resources=[0-9]* fail=7' <(tail -1 "$work/out.txt") || { echo "cxx_host: expected fail=7" >&2; exit 1; }
[ "$(grep -c '^FAIL ' "$work/out.txt")" -eq 7 ] || { echo "cxx_host: expected 7 FAIL lines" >&2; exit 1; }
kill -TERM "$server"
wait "$server" || { echo "cxx_host: kmsguard serve did not exit 0 on SIGTERM" >&2; server=""; exit 1; }
server=""
