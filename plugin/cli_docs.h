// Man pages and shell completions generated from kmsguard's command line (plugin/cli.h), at build
// time, by the kmsguard_cli_docs program (plugin/cli_docs_main.cc): the CLI11 definition that
// parses the arguments and prints --help is the only place an option is described.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kmsguard::plugin {

struct GeneratedFile {
  std::string path;  // relative to the output directory, e.g. "man1/kmsguard-scan.1"
  std::string text;
};

// One man(7) page per command: man1/kmsguard.1 for `app` (its options and the list of commands)
// and man1/kmsguard-VERB.1 for each subcommand (synopsis, description and the --help footer,
// arguments, options). `version` goes in the page footer ("kmsguard 0.1.0").
std::vector<GeneratedFile> ManPages(const CLI::App& app, const std::string& version);

// A bash completion script (`complete -F _kmsguard kmsguard`; needs no bash-completion package):
// commands, each command's options, the choices of options that take one of a fixed set, and
// file or directory names where an option or argument takes one.
std::string BashCompletion(const CLI::App& app);

// The same for zsh, as a `#compdef kmsguard` function file (_kmsguard) for a directory of $fpath.
std::string ZshCompletion(const CLI::App& app);

}  // namespace kmsguard::plugin
