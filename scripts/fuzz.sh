#!/usr/bin/env bash
# Runs one libFuzzer target (tests/fuzz, docs/fuzzing.md) for SECONDS, building it first with
# clang, ASan and UBSan into build-fuzz/ (or $KMSGUARD_FUZZ_BUILD_DIR).
#   scripts/fuzz.sh                  lists the targets
#   scripts/fuzz.sh TARGET SECONDS   runs one (e.g. scripts/fuzz.sh snapshot 600)
#   scripts/fuzz.sh all SECONDS      runs each for SECONDS
# The corpus grows in build-fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET and the
# project's own examples); a crash, leak, timeout or out-of-memory input is written to
# build-fuzz/findings/TARGET/ and the run fails: minimize it (-minimize_crash=1), then add it under
# tests/fuzz/regressions/TARGET/, where ctest replays it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(snapshot policy_document rules resource_proto serve_config)
if [ $# -eq 0 ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
if [ $# -ne 2 ]; then
  echo "usage: scripts/fuzz.sh [TARGET|all SECONDS]" >&2
  exit 2
fi
target="$1"
seconds="$2"
build="${KMSGUARD_FUZZ_BUILD_DIR:-build-fuzz}"
if [ "$target" = all ]; then
  for t in "${targets[@]}"; do "$0" "$t" "$seconds"; done
  exit 0
fi
if [[ ! " ${targets[*]} " =~ " $target " ]]; then
  echo "fuzz.sh: unknown target \"$target\" (one of: ${targets[*]})" >&2
  exit 2
fi

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# -O1 -g1: what libFuzzer's documentation suggests, and a fifth less compile time than -O2 -g for
# CI, which builds this tree from nothing on every run (line tables are enough for stack traces).
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" "${generator[@]}" -DKMSGUARD_FUZZ=ON \
    -DKMSGUARD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target "fuzz_$target"

corpus="$build/corpus/$target"
findings="$build/findings/$target"
mkdir -p "$corpus" "$findings"
cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
[ -d "tests/fuzz/regressions/$target" ] && cp -n tests/fuzz/regressions/"$target"/* "$corpus"/ 2>/dev/null || true
# The project's own inputs as further seeds.
case "$target" in
  snapshot) cp -n docs/examples/*.json "$corpus"/ 2>/dev/null || true ;;
  rules) for f in rules/*.yaml rules/examples/*.yaml; do cp -n "$f" "$corpus/$(basename "$f")"; done ;;
  serve_config) cp -n configs/*.yaml "$corpus"/ 2>/dev/null || true ;;
esac

# Per input: 10 s and 2 GiB at most (docs/fuzzing.md); inputs up to 256 KiB.
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/tests/fuzz/fuzz_$target" "$corpus" -dict=tests/fuzz/kmsguard.dict \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
  -artifact_prefix="$findings/" -print_final_stats=1
