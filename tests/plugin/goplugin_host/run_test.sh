#!/usr/bin/env bash
# Builds the go-plugin host (main.go, a thin user of the Go host SDK in sdk/go) in GOPATH mode,
# offline, against Debian's Go packages, and runs it against the kmsguard binary. Exit 77 (ctest:
# skipped) only when Go or the Go packages are absent; scripts/install-deps.sh installs them.
# Usage: run_test.sh KMSGUARD_BINARY WORK_DIR [MODE]
# MODE (main.go): basic (the default), automtls, dial or keepalive. Each ctest test has its own
# WORK_DIR, so they can run in parallel.
set -euo pipefail
kmsguard="$1" work="$2" mode="${3:-basic}"
here="$(cd "$(dirname "$0")" && pwd)"
sdk="$here/../../../sdk/go"
rm -rf "$work" && mkdir -p "$work"
"$sdk/with-gopath.sh" "$work" go build -o "$work/goplugin_host" "$here/main.go"
exec "$work/goplugin_host" -mode "$mode" "$kmsguard"
