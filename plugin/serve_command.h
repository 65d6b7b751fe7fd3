// `kmsguard serve`: run the plugin's gRPC server until SIGTERM/SIGINT.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kmsguard::plugin {

struct ServeFlags {
  std::string listen;  // empty: DefaultListenAddress()
  std::vector<std::string> rule_dirs;
  bool quiet = false;
};

// Declares the subcommand and its flags on `app`; `flags` is filled in by parsing.
CLI::App* AddServeCommand(CLI::App& app, ServeFlags* flags);

// Serves until SIGTERM or SIGINT (graceful: calls in flight get 5 s), reloading rules on SIGHUP.
// Returns the process exit status: 0 after a clean shutdown, 2 when it could not start (bad
// address, rule directory missing, port in use).
int RunServe(const ServeFlags& flags);

}  // namespace kmsguard::plugin
