#!/usr/bin/env bash
# The installed tree (fixture kmsguard_installed): every promised file in place, the systemd unit
# naming the installed binary, and nothing installed pointing into the source or build tree.
set -euo pipefail
prefix=$1 source_dir=$2 build_dir=$3 version=$4
status=0
fail() { echo "install.layout: $*" >&2; status=1; }
expect=(
  bin/kmsguard
  share/kmsguard/proto/kmsguard/plugin/v1/plugin.proto
  share/kmsguard/proto/kmsguard/plugin/negotiation/negotiation.proto
  share/kmsguard/proto/grpc/health/v1/health.proto
  share/kmsguard/proto/go_plugin/grpc_controller.proto
  share/kmsguard/schema/kmsguard-rule.schema.json
  share/kmsguard/rules/aws-iam-managed-kms-decrypt-all-keys.yaml
  share/kmsguard/rules/aws-iam-managed-kms-decrypt-all-keys.test.yaml
  share/kmsguard/rules/examples/library.yaml
  share/kmsguard/rules/catalogs/gcp-predefined-roles.json
  share/doc/kmsguard/examples/account-authorization-details.json
  share/doc/kmsguard/examples/kmsguard.yaml
  share/doc/kmsguard/plugin-protocol.md
  share/doc/kmsguard/README.md
  share/man/man1/kmsguard.1.gz
  share/bash-completion/completions/kmsguard
  share/zsh/vendor-completions/_kmsguard
  lib/systemd/system/kmsguard.service
  lib/sysusers.d/kmsguard.conf
  include/kmsguard/sdk/client/plugin_client.h
  include/kmsguard/sdk/model/finding.h
  include/kmsguard/sdk/gcp/effective_grant.h
  include/kmsguard/kmsguard/plugin/v1/plugin.grpc.pb.h
  include/kmsguard/kmsguard/plugin/v1/plugin.pb.h
  lib/python3/dist-packages/kmsguard/__init__.py
  lib/python3/dist-packages/kmsguard/plugin/v1/plugin_pb2_grpc.py
  share/gocode/src/kmsguard/sdk/go/kmsguard/scan.go
  share/gocode/src/kmsguard/sdk/go/kmsguard/pluginv1/plugin.pb.go
)
for verb in serve scan check test eval schema; do expect+=("share/man/man1/kmsguard-$verb.1.gz"); done
for file in "${expect[@]}"; do
  [ -f "$prefix/$file" ] || fail "missing $file"
done
# The example hosts run as the docs show them (./host.py): installed executable.
[ -x "$prefix/share/doc/kmsguard/examples/python-host/host.py" ] ||
  fail "share/doc/kmsguard/examples/python-host/host.py is not executable"
# Every shipped rule file (rules/*.yaml) is installed.
for rule in "$source_dir"/rules/*.yaml; do
  [ -f "$prefix/share/kmsguard/rules/$(basename "$rule")" ] || fail "rule $(basename "$rule") not installed"
done
config=$(find "$prefix" -path '*/cmake/kmsguard/kmsguardConfig.cmake')
[ -n "$config" ] || fail "no lib/.../cmake/kmsguard/kmsguardConfig.cmake"
ls "$(dirname "$config")"/kmsguardConfigVersion.cmake >/dev/null || fail "no kmsguardConfigVersion.cmake"
grep -q "PACKAGE_VERSION \"$version\"" "$(dirname "$config")"/kmsguardConfigVersion.cmake ||
  fail "kmsguardConfigVersion.cmake is not version $version"
for lib in client sdk proto; do
  [ -n "$(find "$prefix" -name "libkmsguard_$lib.a")" ] || fail "libkmsguard_$lib.a not installed"
done
unit=$prefix/lib/systemd/system/kmsguard.service
if [ -f "$unit" ]; then
  grep -qx "ExecStart=$prefix/bin/kmsguard serve --listen unix:/run/kmsguard/plugin.sock \$KMSGUARD_OPTS" "$unit" ||
    fail "the unit does not run $prefix/bin/kmsguard: $(grep ExecStart= "$unit")"
  for setting in User=kmsguard NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
      RuntimeDirectory=kmsguard RuntimeDirectoryMode=0750 CapabilityBoundingSet=; do
    grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
  done
fi
grep -q "^u kmsguard " "$prefix/lib/sysusers.d/kmsguard.conf" || fail "sysusers.d file makes no kmsguard user"
# The installed text (CMake package, unit, pages, completions, data) must not name the source or
# build tree: an installed tree that works only beside its checkout is not installed. (The prefix
# itself is in the build tree here, and the unit rightly names it: that part is taken out first.)
while IFS= read -r -d '' file; do
  if zcat -f "$file" | sed "s|$prefix||g" | grep -F -e "$source_dir" -e "$build_dir" >/dev/null; then
    fail "$file names the source or build tree"
  fi
done < <(find "$prefix/share" "$prefix/lib" -type f \( -name '*.cmake' -o -name '*.service' \
           -o -name '*.1.gz' -o -name '*.conf' -o -name '*.yaml' -o -name '*.json' -o -name '*.proto' \
           -o -name kmsguard -o -name _kmsguard \) -print0)
[ $status -eq 0 ] && echo "install.layout: ${#expect[@]} files checked"
exit $status
