#!/usr/bin/env bash
# Builds the go-plugin host (main.go) in GOPATH mode, offline, against Debian's Go packages, and
# runs it against the kmsguard binary. Exit 77 (ctest: skipped) only when Go or the Go packages
# are absent; scripts/install-deps.sh installs them.
# Usage: run_test.sh KMSGUARD_BINARY PROTO_DIR WORK_DIR [MODE]
# MODE (main.go): basic (the default), automtls or keepalive. Each ctest test has its own WORK_DIR,
# so they can run in parallel.
set -euo pipefail
kmsguard="$1" proto_dir="$2" work="$3" mode="${4:-basic}"
here="$(cd "$(dirname "$0")" && pwd)"
gocode=/usr/share/gocode/src
for need in go protoc protoc-gen-go; do
  if ! command -v "$need" >/dev/null 2>&1; then
    echo "SKIP: $need not installed (scripts/install-deps.sh installs golang-go, golang-goprotobuf-dev)"
    exit 77
  fi
done
for dir in github.com/hashicorp/go-plugin google.golang.org/grpc github.com/golang/protobuf; do
  if [ ! -d "$gocode/$dir" ]; then
    echo "SKIP: $gocode/$dir missing (scripts/install-deps.sh installs the Debian Go packages)"
    exit 77
  fi
done
rm -rf "$work/gopath" && mkdir -p "$work/gopath/src/kmsguardpb" "$work/gopath/src/kmsguard_host" "$work/gen"
# The stubs are generated at test time; the proto has no go_package, so they are moved into the
# import path the host uses.
protoc -I "$proto_dir" --go_out=plugins=grpc:"$work/gen" "$proto_dir/kmsguard/plugin/v1/plugin.proto"
mv "$work/gen/kmsguard/plugin/v1/plugin.pb.go" "$work/gopath/src/kmsguardpb/"
cp "$here/main.go" "$work/gopath/src/kmsguard_host/"
# The user's build cache when there is one (compiling grpc-go cold takes half a minute), else one
# in the work directory.
cache="$(go env GOCACHE 2>/dev/null || true)"
case "$cache" in /*) ;; *) cache="$work/gocache" ;; esac
export GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$cache" GOFLAGS= GOPROXY=off
go build -o "$work/goplugin_host" kmsguard_host
exec "$work/goplugin_host" -mode "$mode" "$kmsguard"
