#!/usr/bin/env bash
# The Debian packages: built by CPack from this build (kmsguard_V_amd64.deb, the runtime, and
# kmsguard-dev_V_amd64.deb, the C++ client),
# inspected with dpkg-deb (control fields; Depends naming the package of every library the binary
# loads, found independently with dpkg -S; the files; the maintainer scripts), unpacked into a
# scratch root (dpkg-deb -x, no root privileges needed), and the unpacked binary run.
set -euo pipefail
cpack=$1 build=$2 out=$3 version=$4 source_dir=$5
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "package.deb: $tool not installed (dpkg-dev)"; exit 77; }
done
rm -rf "$out"
mkdir -p "$out"
status=0
fail() { echo "package.deb: $*" >&2; status=1; }
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1; then
  cat "$out/cpack.log"; echo "package.deb: cpack failed" >&2; exit 1
fi
deb=$out/kmsguard_${version}_amd64.deb
[ -f "$deb" ] || { ls "$out" >&2; echo "package.deb: no $(basename "$deb")" >&2; exit 1; }

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = kmsguard ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
[ -n "$depends" ] || fail "no Depends"
# Each shared library the binary loads comes from a package the .deb depends on.
root=$out/root
dpkg-deb -x "$deb" "$root"
binary=$root/usr/bin/kmsguard
[ -x "$binary" ] || fail "no /usr/bin/kmsguard in the package"
needed=$(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || fail "objdump found no NEEDED libraries"
for lib in $needed; do
  path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib && /x86-64/ && !found { print $NF; found = 1 }')
  [ -n "$path" ] || { fail "$lib not found by ldconfig"; continue; }
  # (Pipelines here read their whole input: with pipefail, a reader that stops early fails them.)
  package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | sed -n '1s/:.*//p') ||
    package=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/:.*//p')
  [ -n "$package" ] || { fail "no package owns $path"; continue; }
  grep -qxF "$package" <<<"$(awk -v RS=', ' '{ print $1 }' <<<"$depends")" ||
    fail "Depends lacks $package (for $lib): $depends"
done

contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
for file in ./usr/bin/kmsguard ./usr/lib/systemd/system/kmsguard.service \
    ./usr/lib/sysusers.d/kmsguard.conf ./usr/share/man/man1/kmsguard.1.gz \
    ./usr/share/man/man1/kmsguard-serve.1.gz ./usr/share/bash-completion/completions/kmsguard \
    ./usr/share/zsh/vendor-completions/_kmsguard \
    ./usr/share/kmsguard/proto/kmsguard/plugin/v1/plugin.proto \
    ./usr/share/kmsguard/schema/kmsguard-rule.schema.json \
    ./usr/share/doc/kmsguard/examples/kmsguard.yaml \
    ./usr/lib/python3/dist-packages/kmsguard/__init__.py \
    ./usr/share/gocode/src/kmsguard/sdk/go/kmsguard/scan.go; do
  grep -qxF "$file" <<<"$contents" || fail "the package lacks $file"
done
! grep -q '^\./usr/include/' <<<"$contents" || fail "headers belong in kmsguard-dev, not kmsguard"
! grep -q '^\./usr/local/' <<<"$contents" || fail "files under /usr/local in the package"
# The binary is stripped (CPACK_STRIP_FILES): no debug sections.
! grep -q '\.debug_info' <<<"$(objdump -h "$binary")" || fail "/usr/bin/kmsguard is not stripped"

unit=$root/usr/lib/systemd/system/kmsguard.service
grep -q '^ExecStart=/usr/bin/kmsguard serve ' "$unit" || fail "the unit does not run /usr/bin/kmsguard: $(grep ExecStart= "$unit")"
if command -v systemd-analyze >/dev/null; then
  # systemd's own parser on the unit (unknown or misspelt settings, bad values), on a copy whose
  # ExecStart is the unpacked binary (systemd checks that it exists and is executable).
  sed "s|=/usr/bin/kmsguard |=$binary |" "$unit" >"$out/kmsguard.service"
  verify=$(systemd-analyze verify --man=no "$out/kmsguard.service" 2>&1) ||
    fail "systemd-analyze verify: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
fi

# The unit's command as systemd would run it (ExecStart, with the unit's UMask; /run/kmsguard, its
# RuntimeDirectory, replaced by a scratch directory): it serves, its socket is open to the group
# (what lets a host in group kmsguard connect), SIGHUP (ExecReload) reloads without stopping it,
# and SIGTERM stops it with status 0.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
umask_value=$(sed -n 's/^UMask=//p' "$unit")
run_dir=$(mktemp -d)
command=${exec_start//\/run\/kmsguard/$run_dir}
command=${command//\/usr\/bin\/kmsguard/$binary}
command=${command//\$KMSGUARD_OPTS/}
# shellcheck disable=SC2086
(umask "$umask_value" && exec $command --quiet) &
server=$!
for _ in $(seq 100); do [ -S "$run_dir/plugin.sock" ] && break; sleep 0.1; done
if [ -S "$run_dir/plugin.sock" ]; then
  mode=$(stat -c %a "$run_dir/plugin.sock")
  [ "$mode" = 770 ] || fail "with UMask=$umask_value the socket is mode $mode, not 770"
  kill -HUP "$server"
  sleep 0.5
  kill -0 "$server" 2>/dev/null || fail "the service's process exited on SIGHUP (ExecReload)"
else
  fail "the unit's command ($command) made no socket in 10 s"
fi
kill -TERM "$server" 2>/dev/null || true
wait "$server" || fail "the unit's command did not exit 0 on SIGTERM"
rm -rf "$run_dir"

dpkg-deb -e "$deb" "$out/control"
for script in postinst prerm postrm; do
  [ -x "$out/control/$script" ] || { fail "no executable $script"; continue; }
  sh -n "$out/control/$script" || fail "$script does not parse"
done
grep -q 'systemd-sysusers kmsguard.conf' "$out/control/postinst" || fail "postinst makes no user"

# The unpacked binary, from /, on the bundled example: 7 FAIL, exit 1; and its version.
set +e
(cd / && "$binary" scan --format jsonl "$source_dir/docs/examples/account-authorization-details.json") \
  >"$out/findings.jsonl" 2>"$out/scan.err"
scan_status=$?
set -e
[ $scan_status -eq 1 ] || { cat "$out/scan.err" >&2; fail "the packaged binary's scan exited $scan_status, not 1"; }
fails=$(grep -c '"status":"STATUS_FAIL"' "$out/findings.jsonl" || true)
[ "$fails" -eq 7 ] || fail "the packaged binary found $fails FAIL, not 7"
grep -q "^kmsguard $version (commit " <<<"$("$binary" --version)" || fail "--version: $("$binary" --version)"
# kmsguard-dev: the client's headers, stripped archives and CMake package, on top of kmsguard.
dev=$out/kmsguard-dev_${version}_amd64.deb
if [ -f "$dev" ]; then
  dev_depends=$(dpkg-deb -f "$dev" Depends)
  grep -qF "kmsguard (= $version)" <<<"$dev_depends" || fail "kmsguard-dev does not depend on kmsguard (= $version): $dev_depends"
  grep -qF "libgrpc++-dev" <<<"$dev_depends" || fail "kmsguard-dev does not depend on libgrpc++-dev"
  dev_contents=$(dpkg-deb -c "$dev" | awk '{ print $NF }')
  for file in ./usr/lib/cmake/kmsguard/kmsguardConfig.cmake ./usr/lib/cmake/kmsguard/kmsguardTargets.cmake \
      ./usr/include/kmsguard/sdk/client/plugin_client.h \
      ./usr/include/kmsguard/kmsguard/plugin/v1/plugin.grpc.pb.h ./usr/lib/libkmsguard_client.a \
      ./usr/lib/libkmsguard_sdk.a ./usr/lib/libkmsguard_proto.a; do
    grep -qxF "$file" <<<"$dev_contents" || fail "kmsguard-dev lacks $file"
  done
  ! grep -q '^\./usr/bin/' <<<"$dev_contents" || fail "kmsguard-dev holds programs"
  dpkg-deb -x "$dev" "$out/dev-root"
  ! grep -q '\.debug_info' <<<"$(objdump -h "$out/dev-root/usr/lib/libkmsguard_sdk.a")" ||
    fail "libkmsguard_sdk.a in kmsguard-dev keeps its debug information"
else
  fail "no $(basename "$dev")"
fi

[ $status -eq 0 ] && echo "package.deb: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB), Depends: $depends"
exit $status
