#!/usr/bin/env bash
# Runs a command (go build, go test, go vet) in GOPATH mode, offline, against Debian's Go packages
# (/usr/share/gocode) and this SDK, which is linked into WORK_DIR/gopath as kmsguard/sdk/go
# ($KMSGUARD_GO_SDK instead of this directory when set: an installed copy, share/gocode/src/kmsguard/sdk/go).
# Exit 77 (ctest: skipped) only when Go or the Debian Go packages are absent;
# scripts/install-deps.sh installs them.
# Usage: with-gopath.sh WORK_DIR COMMAND [ARGS...]
set -euo pipefail
work="$1"
shift
here="$(cd "$(dirname "$0")" && pwd)"
gocode=/usr/share/gocode/src
if ! command -v go >/dev/null 2>&1; then
  echo "SKIP: go not installed (scripts/install-deps.sh installs golang-go)"
  exit 77
fi
for dir in github.com/hashicorp/go-plugin google.golang.org/grpc github.com/golang/protobuf; do
  if [ ! -d "$gocode/$dir" ]; then
    echo "SKIP: $gocode/$dir missing (scripts/install-deps.sh installs the Debian Go packages)"
    exit 77
  fi
done
mkdir -p "$work/gopath/src/kmsguard/sdk"
ln -sfn "${KMSGUARD_GO_SDK:-$here}" "$work/gopath/src/kmsguard/sdk/go"
# The user's build cache when there is one (compiling grpc-go cold takes half a minute), else one
# in the work directory.
cache="$(go env GOCACHE 2>/dev/null || true)"
case "$cache" in /*) ;; *) cache="$work/gocache" ;; esac
export GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$cache" GOFLAGS= GOPROXY=off
exec "$@"
