#!/usr/bin/env bash
# Installs every Debian 12 package kmsguard needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and apt is not touched when all are.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-system-dev libcli11-dev libre2-dev
  libssl-dev openssl zlib1g-dev libsimdjson-dev libjemalloc-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-grpcio python3-protobuf  # the Python client test (tests/plugin/python_client)
  # the go-plugin host test (tests/plugin/goplugin_host): Go in GOPATH mode, offline
  golang-go golang-github-hashicorp-go-plugin-dev golang-goprotobuf-dev golang-google-grpc-dev
  python3-jsonschema python3-yaml  # validate rule files against docs/schema (tests/schema)
  chromium  # headless, for the HTML report test (tests/plugin/html_report_chromium_test.cc)
  procps gzip  # pgrep/pkill and gzip in the scan tests' shell commands (tests/plugin)
  # the install and package tests (tests/install): dpkg-shlibdeps, groff's checks of the man pages,
  # zsh to load the zsh completion
  dpkg-dev groff-base zsh
  clang-14 libfuzzer-14-dev  # the fuzz targets (tests/fuzz, scripts/fuzz.sh)
)
# node and npm, for the Kubernetes manifest check (tests/plugin/kubernetes: kubernetes-models from
# npm): Debian's, unless a node with its npm is there already (NodeSource's nodejs package
# provides npm and conflicts with Debian's npm package, so asking apt for npm would fail).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
