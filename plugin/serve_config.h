// `kmsguard serve --config FILE`: the settings file (configs/kmsguard.yaml documents every key).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "plugin/serve_command.h"

namespace kmsguard::plugin {

// Reads `path` into `flags`. A setting given on the command line (a value in `command_line` that
// differs from ServeFlags' default) wins over the file. Errors (InvalidArgument, naming
// path:line:col, every problem of the file, one per line): the file cannot be read or is not
// YAML, an unknown key (a typo must not be ignored silently), a value of the wrong type or out of
// range. Relative paths in the file (rules.dirs, tls.*) are relative to the file's directory.
absl::Status ApplyConfigFile(const std::string& path, const ServeFlags& command_line,
                             ServeFlags* flags);

}  // namespace kmsguard::plugin
