// kmsguard's command line, defined once: main() parses it, and the build generates the man pages
// and shell completions from the same definition (plugin/cli_docs.h), so they never drift.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "plugin/check_command.h"
#include "plugin/eval_command.h"
#include "plugin/scan_command.h"
#include "plugin/schema_command.h"
#include "plugin/serve_command.h"
#include "plugin/test_command.h"

namespace kmsguard::plugin {

// The parser and the flags it fills. Not movable (CLI11 keeps pointers into the flags), hence
// made on the heap by MakeCommandLine.
struct CommandLine {
  CLI::App app;
  ServeFlags serve_flags;
  ScanFlags scan_flags;
  CheckFlags check_flags;
  TestFlags test_flags;
  EvalFlags eval_flags;
  SchemaFlags schema_flags;
  CLI::App* serve = nullptr;
  CLI::App* scan = nullptr;
  CLI::App* check = nullptr;
  CLI::App* test = nullptr;
  CLI::App* eval = nullptr;
  CLI::App* schema = nullptr;
};

// Declares every subcommand and flag, and --version (plugin/version.h: version and commit).
std::unique_ptr<CommandLine> MakeCommandLine();

}  // namespace kmsguard::plugin
