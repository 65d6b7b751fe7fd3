#!/usr/bin/env bash
# Regenerates the Python stubs of the plugin protocol from proto/ with Debian's protoc (messages,
# --python_out) and grpc_python_plugin (the PolicyPlugin stub; protobuf-compiler-grpc), so no
# grpc_tools is needed:
#   kmsguard/plugin/v1/plugin_pb2.py, plugin_pb2_grpc.py   kmsguard.plugin.v1
#   kmsguard/_health_pb2.py                                 grpc.health.v1 (messages only)
# The health messages are moved under kmsguard/ because grpcio owns the top-level name "grpc";
# their descriptor keeps its file name, so they coexist with grpcio-health-checking's copy.
# They are checked in, so that the package works from PYTHONPATH with only python3-grpcio and
# python3-protobuf. `--check` regenerates into a scratch directory and fails, showing the
# difference, when a checked-in file is not what the .proto gives (the ctest
# python_sdk.stubs_current).
# Usage: generate.sh [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto_dir="$here/../../proto"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for need in protoc grpc_python_plugin; do
  if ! command -v "$need" >/dev/null 2>&1; then
    echo "SKIP: $need not installed (scripts/install-deps.sh installs protobuf-compiler, protobuf-compiler-grpc)"
    exit 77
  fi
done
protoc -I "$proto_dir" --python_out="$tmp" --grpc_python_out="$tmp" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  "$proto_dir/kmsguard/plugin/v1/plugin.proto"
protoc -I "$proto_dir" --python_out="$tmp" "$proto_dir/grpc/health/v1/health.proto"
mkdir -p "$tmp/out/kmsguard/plugin/v1"
mv "$tmp/kmsguard/plugin/v1/plugin_pb2.py" "$tmp/kmsguard/plugin/v1/plugin_pb2_grpc.py" \
  "$tmp/out/kmsguard/plugin/v1/"
mv "$tmp/grpc/health/v1/health_pb2.py" "$tmp/out/kmsguard/_health_pb2.py"
files=(kmsguard/plugin/v1/plugin_pb2.py kmsguard/plugin/v1/plugin_pb2_grpc.py kmsguard/_health_pb2.py)
if [ "${1:-}" = --check ]; then
  status=0
  for f in "${files[@]}"; do
    diff -u "$here/$f" "$tmp/out/$f" || status=1
  done
  if [ $status -ne 0 ]; then
    echo "FAIL: the stubs in $here are not what proto/ gives: run sdk/python/generate.sh and commit the result"
    exit 1
  fi
  echo "OK: the stubs in $here are current"
  exit 0
fi
for f in "${files[@]}"; do
  cp "$tmp/out/$f" "$here/$f"
done
