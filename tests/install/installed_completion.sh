#!/usr/bin/env bash
# The installed completions (fixture kmsguard_installed) against the installed binary's --help.
# bash: the script loads in a plain bash (no bash-completion package) and registers _kmsguard;
# completing offers every command, every option of each command, the choices of --format, and file
# names where a file goes. zsh (when installed): the function file parses and compinit binds it.
set -euo pipefail
prefix=$1
kmsguard=$prefix/bin/kmsguard
bash_script=$prefix/share/bash-completion/completions/kmsguard
zsh_dir=$prefix/share/zsh/vendor-completions
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "installed.completion: $*" >&2; status=1; }

# What bash offers for the words "$@" (the last one being completed), from a directory with files.
mkdir -p "$work/files" && touch "$work/files/gaad.json" "$work/files/rules-extra.yaml"
complete_words() {
  (cd "$work/files" && bash --norc --noprofile -c '
    source "$1" || exit 3
    shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _kmsguard
    printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_script" "$@")
}
help_options() {
  "$kmsguard" "$@" --help | awk '/^[A-Za-z].*:$/ { section = $0; next }
    section == "Options:" && /^  -/ { n = split($1, names, ","); for (i = 1; i <= n; i++) print names[i] }'
}
expect_offered() {  # expect_offered "what" "offered list" words...
  local what=$1 offered=$2 word
  shift 2
  for word in "$@"; do
    grep -qxF -- "$word" <<<"$offered" || fail "$what: '$word' not offered (offered: $(tr '\n' ' ' <<<"$offered"))"
  done
}

registered=$(bash --norc --noprofile -c 'source "$1" && complete -p kmsguard' _ "$bash_script") ||
  fail "the bash script does not load"
[ "$registered" = "complete -F _kmsguard kmsguard" ] || fail "complete -p kmsguard: '$registered'"

commands=$("$kmsguard" --help | awk '/^Subcommands:$/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
# shellcheck disable=SC2086
expect_offered "kmsguard <TAB>" "$(complete_words kmsguard '')" $commands --help --version
for command in $commands; do
  # shellcheck disable=SC2046
  expect_offered "kmsguard $command --<TAB>" "$(complete_words kmsguard "$command" --)" \
    $(help_options "$command" | grep -- '^--')
  # shellcheck disable=SC2046
  expect_offered "kmsguard $command -<TAB>" "$(complete_words kmsguard "$command" -)" \
    $(help_options "$command")
done
# --format's choices are the ones --help lists in {...}.
formats=$("$kmsguard" scan --help | sed -n 's/^  --format TEXT:{\([^}]*\)}.*/\1/p' | tr ',' '\n')
[ -n "$formats" ] || fail "scan --help shows no --format choices"
offered=$(complete_words kmsguard scan --format '')
[ "$(sort <<<"$offered")" = "$(sort <<<"$formats")" ] ||
  fail "kmsguard scan --format <TAB>: '$(tr '\n' ' ' <<<"$offered")', --help says '$(tr '\n' ' ' <<<"$formats")'"
expect_offered "kmsguard scan --format o<TAB>" "$(complete_words kmsguard scan --format o)" ocsf
expect_offered "kmsguard scan ga<TAB>" "$(complete_words kmsguard scan ga)" gaad.json
expect_offered "kmsguard scan --rules ru<TAB>" "$(complete_words kmsguard scan --rules ru)" rules-extra.yaml
expect_offered "kmsguard serve --config ga<TAB>" "$(complete_words kmsguard serve --config ga)" gaad.json

if command -v zsh >/dev/null; then
  zsh -n "$zsh_dir/_kmsguard" || fail "the zsh function does not parse"
  bound=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -d "$2/zcompdump" &&
          print -r -- "$_comps[kmsguard]"' _ "$zsh_dir" "$work") || fail "zsh compinit failed"
  [ "$bound" = _kmsguard ] || fail "zsh binds kmsguard to '$bound', not _kmsguard"
else
  echo "installed.completion: zsh not installed; its function file not loaded"
fi
[ $status -eq 0 ] && echo "installed.completion: bash$(command -v zsh >/dev/null && echo ' and zsh') completion checked"
exit $status
