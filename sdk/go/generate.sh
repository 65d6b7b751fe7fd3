#!/usr/bin/env bash
# Regenerates the Go stubs of the plugin protocol (kmsguard/pluginv1/plugin.pb.go) from proto/ with
# Debian's protoc and protoc-gen-go 1.3.5 (golang-goprotobuf-dev: messages and, with plugins=grpc,
# the PolicyPlugin client and server). They are checked in because `go build` cannot run protoc:
# a Go host uses this package as plain source. `--check` regenerates into a scratch directory and
# fails, showing the difference, when the checked-in file is not what the .proto gives (the ctest
# go_sdk.stubs_current), so the stubs never drift from the .proto.
# Usage: generate.sh [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto_dir="$here/../../proto"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for need in protoc protoc-gen-go; do
  if ! command -v "$need" >/dev/null 2>&1; then
    echo "SKIP: $need not installed (scripts/install-deps.sh installs protobuf-compiler, golang-goprotobuf-dev)"
    exit 77
  fi
done
# The .proto has no go_package (it is shared with C++ and Python); import_path names the Go
# package and paths=source_relative keeps protoc from building a directory tree from it.
protoc -I "$proto_dir" \
  --go_out="plugins=grpc,paths=source_relative,import_path=kmsguard/sdk/go/kmsguard/pluginv1:$tmp" \
  "$proto_dir/kmsguard/plugin/v1/plugin.proto"
generated="$tmp/kmsguard/plugin/v1/plugin.pb.go"
checked_in="$here/kmsguard/pluginv1/plugin.pb.go"
if [ "${1:-}" = --check ]; then
  if ! diff -u "$checked_in" "$generated"; then
    echo "FAIL: $checked_in is not what proto/ gives: run sdk/go/generate.sh and commit the result"
    exit 1
  fi
  echo "OK: $checked_in is current"
  exit 0
fi
mkdir -p "$(dirname "$checked_in")"
mv "$generated" "$checked_in"
