// `kmsguard serve`: run the plugin's gRPC server until SIGTERM/SIGINT, go-plugin's Shutdown, or
// the death of the parent process (when asked to watch it).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "plugin/rule_loader.h"

namespace kmsguard::plugin {

struct ServeFlags {
  std::string listen;  // empty: DefaultListenAddress()
  // --health-listen: a plaintext grpc.health.v1-only listener (Kubernetes probes); empty: none.
  std::string health_listen;
  // --replica-id: named in each Evaluate call's metadata; empty: $KMSGUARD_REPLICA_ID, else
  // "<hostname>/<pid>".
  std::string replica_id;
  std::vector<std::string> rule_dirs;
  bool quiet = false;
  std::string config_file;  // --config: settings in YAML (configs/kmsguard.yaml); flags win
  std::string tls_cert;     // PEM files
  std::string tls_key;
  std::string tls_client_ca;
  bool exit_with_parent = false;
  double shutdown_grace_seconds = 5;
  std::string log_format;  // "text" or "json"; empty: json in go-plugin mode, else text
  std::string magic_cookie_key = "KMSGUARD_PLUGIN_MAGIC_COOKIE";
  std::string magic_cookie_value = "kmsguard";
  int max_batch_size = 0;     // 0: the default
  int max_message_bytes = 0;  // 0: the default
  int evaluation_threads = 0;  // 0: one per hardware thread
  double rule_watch_seconds = 2;  // 0: no polling of the rule directories
  // A descriptor inherited from the parent: "ready\n" is written to it (then it is closed) once
  // the server answers SERVING, or it is closed without a word when serving failed. -1: none.
  // What `kmsguard scan` waits on instead of polling the health service.
  int ready_fd = -1;
  // --config only: the file's changes to rules (rules.params, rules.overrides), applied at every
  // load after the rule files' own overrides.
  ConfigOverrides config_overrides;
  // rules.exceptions_file (--config only): `kind: Override` documents (accepted findings,
  // severities, parameters), loaded, watched and reloaded with the rules; empty: none.
  std::string exceptions_file;
};

// Declares the subcommand and its flags on `app`; `flags` is filled in by parsing.
CLI::App* AddServeCommand(CLI::App& app, ServeFlags* flags);

// Serves until asked to stop. Standalone mode listens on --listen; go-plugin mode (the magic
// cookie variable holds its value) listens on a Unix socket in a private directory and prints the
// one handshake line on stdout. Returns the exit status: 0 after a clean shutdown, 1 when calls
// did not drain within the grace period (the process then exits at once), 2 when it could not
// start (bad address or settings, rule directory missing, port in use).
int RunServe(const ServeFlags& flags);

}  // namespace kmsguard::plugin
