// `kmsguard check DIR...`: loads and lints rule files, reporting every problem with its position.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kmsguard::plugin {

struct CheckFlags {
  std::vector<std::string> dirs;
  std::string format = "text";  // "text" or "json"
};

CLI::App* AddCheckCommand(CLI::App& app, CheckFlags* flags);

// Prints every diagnostic (`file:line:col: error|warning: message [code]`, or one JSON object)
// and then their count to stdout, in that order (a pipe or a file keeps them together). Returns 0 when there is no error (warnings allowed), 2 when a
// rule file has an error or a directory cannot be listed.
int RunCheck(const CheckFlags& flags);

}  // namespace kmsguard::plugin
