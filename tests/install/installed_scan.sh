#!/usr/bin/env bash
# The installed binary (fixture kmsguard_installed) run from /, with a bare environment and the
# example input copied outside the source tree: the bundled example gives its 7 FAIL findings
# (exit 1); --version names the version and the checkout's commit; the installed rules pass their
# own tests and lint clean.
set -euo pipefail
prefix=$1 source_dir=$2 version=$3
kmsguard=$prefix/bin/kmsguard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$source_dir/docs/examples/account-authorization-details.json" "$work/gaad.json"
# A bare environment, but for the sanitizers' settings (CI's ASan + UBSan run sets them).
sanitizer_env=()
for name in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
  [ -z "${!name:-}" ] || sanitizer_env+=("$name=${!name}")
done
run() { (cd / && env -i PATH=/usr/bin:/bin HOME="$work" "${sanitizer_env[@]}" "$@"); }

set +e
run "$kmsguard" scan --format jsonl "$work/gaad.json" >"$work/findings.jsonl" 2>"$work/stderr"
status=$?
set -e
if [ $status -ne 1 ]; then
  cat "$work/stderr" >&2
  echo "installed.scan: exit status $status, expected 1 (FAIL findings, complete scan)" >&2
  exit 1
fi
fails=$(grep -c '"status":"STATUS_FAIL"' "$work/findings.jsonl" || true)
if [ "$fails" -ne 7 ]; then
  echo "installed.scan: $fails FAIL findings, expected 7" >&2
  exit 1
fi
# The installed copy of the example gives the same answer as the copy above.
run "$kmsguard" scan "$prefix/share/doc/kmsguard/examples/account-authorization-details.json" \
  >"$work/table.txt" 2>&1 && { echo "installed.scan: the installed example scanned clean" >&2; exit 1; }

# --version: "kmsguard VERSION (commit C)": in a git checkout C is a commit of it that HEAD contains
# (HEAD itself unless commits were made since the build), 12 hex digits, maybe "-dirty"; outside
# git, "unknown".
version_line=$(run "$kmsguard" --version)
if [[ ! $version_line =~ ^kmsguard\ ${version//./\\.}\ \(commit\ ([0-9a-f]{12}|unknown)(-dirty)?\)$ ]]; then
  echo "installed.scan: --version printed '$version_line', expected 'kmsguard $version (commit <12 hex digits>[-dirty])'" >&2
  exit 1
fi
commit=${BASH_REMATCH[1]}
if git -C "$source_dir" rev-parse HEAD >/dev/null 2>&1; then
  if [ "$commit" = unknown ] || ! git -C "$source_dir" cat-file -e "$commit^{commit}" 2>/dev/null ||
     ! git -C "$source_dir" merge-base --is-ancestor "$commit" HEAD; then
    echo "installed.scan: --version names commit $commit, not a commit of this checkout's HEAD" >&2
    exit 1
  fi
fi

# The installed rules and examples, with their tests, as a rule author starts from them.
run "$kmsguard" test "$prefix/share/kmsguard/rules" >"$work/test.txt" 2>&1 ||
  { cat "$work/test.txt" >&2; echo "installed.scan: kmsguard test on the installed rules failed" >&2; exit 1; }
run "$kmsguard" check "$prefix/share/kmsguard/rules" >"$work/check.txt" 2>&1 ||
  { cat "$work/check.txt" >&2; echo "installed.scan: kmsguard check on the installed rules failed" >&2; exit 1; }
# `kmsguard schema --path` names the installed schema, which is what `kmsguard schema` prints.
schema_path=$(run "$kmsguard" schema --path) ||
  { echo "installed.scan: kmsguard schema --path failed" >&2; exit 1; }
[ "$schema_path" = "$(cd "$prefix" && pwd -P)/share/kmsguard/schema/kmsguard-rule.schema.json" ] ||
  { echo "installed.scan: schema --path printed '$schema_path'" >&2; exit 1; }
cmp -s "$schema_path" <(run "$kmsguard" schema) ||
  { echo "installed.scan: kmsguard schema differs from $schema_path" >&2; exit 1; }
echo "installed.scan: 7 FAIL from /, $version_line, installed rules tested and checked, schema found"
