#!/usr/bin/env bash
# The installed man pages (fixture kmsguard_installed) against the installed binary's --help: a
# page for kmsguard and for every command --help lists, naming every option and argument that
# command's --help names, with the help's exit status text; each page formats without a groff
# warning, and man finds it under the prefix.
set -euo pipefail
prefix=$1
kmsguard=$prefix/bin/kmsguard
man1=$prefix/share/man/man1
status=0
fail() { echo "installed.man: $*" >&2; status=1; }

# Page text without roff escapes and font changes, as a reader searches it.
plain() { zcat -f "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' -e 's/\\&//g'; }
# The options and arguments one --help names: first column of its Options and Positionals lines.
help_names() {
  "$kmsguard" "$@" --help | awk '
    /^[A-Za-z].*:$/ { section = $0; next }
    (section == "Options:" || section == "Positionals:") && /^  [^ ]/ {
      n = split($1, names, ","); for (i = 1; i <= n; i++) print names[i] }'
}

commands=$("$kmsguard" --help | awk '/^Subcommands:$/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || fail "kmsguard --help lists no commands"
pages=(kmsguard)
for command in $commands; do pages+=("kmsguard-$command"); done
checked=0
for page in "${pages[@]}"; do
  file=$man1/$page.1.gz  # compressed, as Debian installs man pages
  if [ ! -f "$file" ]; then fail "no page $page.1.gz"; continue; fi
  args=()
  [ "$page" = kmsguard ] || args=("${page#kmsguard-}")
  text=$(plain "$file")
  names=$(help_names "${args[@]}")
  [ -n "$names" ] || fail "$page: --help lists no option"
  for name in $names; do
    grep -qF -- "$name" <<<"$text" || fail "$page.1 does not mention $name"
    checked=$((checked + 1))
  done
  if [ "$page" != kmsguard ]; then
    zgrep -q '^\.SH OPTIONS' "$file" || fail "$page.1 has no OPTIONS section"
    # What --help says after the options (the footer) is in the page too.
    if grep -q '^Exit status' <<<"$("$kmsguard" "${args[@]}" --help)"; then
      grep -q 'Exit status' <<<"$text" || fail "$page.1 lacks the exit status text of --help"
    fi
  fi
  # The page formats cleanly (groff, from groff-base, which man-db depends on).
  if command -v groff >/dev/null; then
    warnings=$(zcat "$file" | groff -man -Tutf8 -ww -z 2>&1)
    [ -z "$warnings" ] || fail "$page.1: groff warns: $warnings"
  fi
  zgrep -q "^\.TH \"${page^^}\" 1 " "$file" || fail "$page.1 has no .TH line for section 1"
done
grep -q 'kmsguard-scan(1)' <(plain "$man1/kmsguard.1.gz") || fail "kmsguard.1 does not point to kmsguard-scan(1)"
if command -v man >/dev/null; then
  found=$(MANPATH=$prefix/share/man man -w kmsguard-scan 2>/dev/null || true)
  [ "$found" = "$man1/kmsguard-scan.1.gz" ] || fail "man -w kmsguard-scan found '$found', not $man1/kmsguard-scan.1.gz"
fi
[ $status -eq 0 ] && echo "installed.man: ${#pages[@]} pages, $checked option and argument names"
exit $status
