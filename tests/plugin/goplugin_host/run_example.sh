#!/usr/bin/env bash
# Builds the Go example host (docs/examples/go-host) offline against Debian's Go packages and the
# SDK, and checks what it prints for the bundled example account when it launches KMSGUARD and
# when it connects to KMSGUARD running on its own (tests/plugin/python_client/check_example.py). Exit 77 (ctest: skipped) only when Go or the Go
# packages are absent.
# Usage: run_example.sh KMSGUARD_BINARY WORK_DIR
set -euo pipefail
kmsguard="$1" work="$2"
source_dir="$(cd "$(dirname "$0")/../../.." && pwd)"
rm -rf "$work" && mkdir -p "$work"
"$source_dir/sdk/go/with-gopath.sh" "$work" \
  go build -o "$work/go-host" "$source_dir/docs/examples/go-host/main.go"
check="$source_dir/tests/plugin/python_client/check_example.py"
# Launched (go-plugin, AutoMTLS), then connected to a standalone plugin (Dial).
python3 "$check" "$source_dir" "$work/launch" "$work/go-host" -plugin "$kmsguard"
python3 "$check" --serve "$kmsguard" "$source_dir" "$work/connect" "$work/go-host" -connect '{address}'
