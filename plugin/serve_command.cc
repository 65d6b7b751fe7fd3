#include "plugin/serve_command.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <thread>

#include "plugin/listen_address.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"

namespace kmsguard::plugin {

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);

// Loads rules and installs them; on failure the server keeps what it had.
bool LoadAndInstall(const ServeFlags& flags, PluginServer& server) {
  absl::StatusOr<LoadedRules> loaded = LoadRules(flags.rule_dirs, std::cerr);
  if (!loaded.ok()) {
    std::cerr << "kmsguard serve: " << loaded.status().message() << "\n";
    return false;
  }
  if (loaded->errors > 0) {
    std::cerr << "kmsguard serve: " << loaded->errors << " rule error(s) in "
              << loaded->files_with_errors << " file(s); those rules are not loaded\n";
  }
  const std::size_t count = loaded->rule_set->rules().size();
  server.InstallRuleSet(loaded->rule_set);
  if (count == 0) std::cerr << "kmsguard serve: no rules loaded; reporting NOT_SERVING\n";
  if (!flags.quiet) {
    std::cerr << "kmsguard serve: " << count << " rule(s) loaded (" << loaded->builtin_rules
              << " built-in, " << loaded->files_read << " file(s) read)\n";
  }
  return true;
}

}  // namespace

CLI::App* AddServeCommand(CLI::App& app, ServeFlags* flags) {
  CLI::App* serve =
      app.add_subcommand("serve",
                         "Run the policy plugin: a gRPC server (kmsguard.plugin.v1.PolicyPlugin, "
                         "grpc.health.v1) for scanner hosts");
  serve->add_option("--listen", flags->listen,
                    "unix:PATH, or a loopback 127.0.0.1:PORT / [::1]:PORT / localhost:PORT "
                    "(no TLS yet, so nothing else). Default: unix:$XDG_RUNTIME_DIR/"
                    "kmsguard.sock, else unix:/tmp/kmsguard-$UID/kmsguard.sock");
  serve
      ->add_option("--rules", flags->rule_dirs,
                   "Also load every *.yaml rule file in DIR (repeatable); built-in rules are "
                   "always loaded")
      ->type_name("DIR");
  serve->add_flag("--quiet", flags->quiet, "Report only problems on stderr");
  serve->footer(
      "Logs go to stderr; stdout stays empty. SIGTERM/SIGINT: stop accepting calls, let calls in "
      "flight finish (5 s), exit 0. SIGHUP: reload the rules. Exit status 2 when the server "
      "cannot start.");
  return serve;
}

int RunServe(const ServeFlags& flags) {
  std::string address = flags.listen;
  if (address.empty()) {
    absl::StatusOr<std::string> fallback = DefaultListenAddress();
    if (!fallback.ok()) {
      std::cerr << "kmsguard serve: " << fallback.status().message() << "\n";
      return 2;
    }
    address = *std::move(fallback);
  }
  ServerOptions options;
  options.listen_address = address;
  absl::StatusOr<std::unique_ptr<PluginServer>> started = PluginServer::Start(options);
  if (!started.ok()) {
    std::cerr << "kmsguard serve: " << started.status().message() << "\n";
    return 2;
  }
  PluginServer& server = **started;

  // Signals are handled on an Asio thread so they can call into gRPC (a raw signal handler could
  // not); Shutdown there makes Wait below return.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& error, int signal_number) {
        if (error) return;  // cancelled at exit
        if (signal_number == SIGHUP) {
          std::cerr << "kmsguard serve: SIGHUP: reloading rules\n";
          LoadAndInstall(flags, server);
          signals.async_wait(on_signal);
          return;
        }
        if (!flags.quiet) std::cerr << "kmsguard serve: shutting down\n";
        server.Shutdown(kShutdownGrace);
      };
  signals.async_wait(on_signal);
  std::thread signal_thread([&io] { io.run(); });

  const bool loaded = LoadAndInstall(flags, server);
  if (loaded && !flags.quiet)
    std::cerr << "kmsguard serve: listening on " << server.address() << "\n";
  if (!loaded) server.Shutdown(std::chrono::milliseconds(0));
  server.Wait();

  io.stop();
  signal_thread.join();
  return loaded ? 0 : 2;
}

}  // namespace kmsguard::plugin
