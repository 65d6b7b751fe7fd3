#include "plugin/serve_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plugin/auto_mtls.h"
#include "plugin/listen_address.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"
#include "plugin/serve_config.h"
#include "plugin/serve_log.h"
#include "plugin/tls_files.h"

namespace kmsguard::plugin {

namespace {

namespace fs = std::filesystem;

// go-plugin's core protocol version, the first field of the handshake line.
constexpr int kGoPluginCoreProtocol = 1;
// How long after the drain deadline a process that is still stuck is ended regardless.
constexpr auto kHardExitMargin = std::chrono::seconds(2);
constexpr auto kParentWatchInterval = std::chrono::milliseconds(200);

// What the rules are loaded (and watched) from: the rule directories or files, then the
// exceptions file.
std::vector<std::string> RuleInputs(const ServeFlags& flags) {
  std::vector<std::string> inputs = flags.rule_dirs;
  if (!flags.exceptions_file.empty()) inputs.push_back(flags.exceptions_file);
  return inputs;
}

// Loads the rules. At start-up a broken file costs only its own rules (the rest serve); on reload
// any error keeps the rule set in force, so a typo never silently drops rules. Returns false when
// nothing could be installed at start-up.
bool LoadAndInstall(const ServeFlags& flags, bool reload, PluginServer& server, ServeLog& log) {
  std::ostringstream diagnostics;
  absl::StatusOr<LoadedRules> loaded = absl::UnknownError("not loaded");
  if (absl::Status overrides_only = flags.exceptions_file.empty()
                                        ? absl::OkStatus()
                                        : CheckOverridesOnly(flags.exceptions_file);
      !overrides_only.ok()) {
    loaded = overrides_only;
  } else {
    loaded = LoadRules(RuleInputs(flags), diagnostics, flags.config_overrides);
  }
  const std::string details = diagnostics.str();
  if (!loaded.ok()) {
    const std::string error = std::string(loaded.status().message());
    if (reload) {
      log.Error(absl::StrCat("rule reload refused, previous rules stay in force: ", error));
      server.SetReloadError(error);
    } else {
      log.Error(error);
    }
    return false;
  }
  if (loaded->errors > 0) {
    const std::string summary =
        absl::StrCat(loaded->errors, " rule error(s) in ", loaded->files_with_errors, " file(s)");
    if (reload) {
      log.Error(absl::StrCat("rule reload refused, previous rules stay in force: ", summary,
                             "\n", details));
      server.SetReloadError(absl::StrCat(summary, "\n", details));
      return false;
    }
    log.Error(absl::StrCat(summary, "; those rules are not loaded\n", details));
  } else if (!details.empty()) {
    log.Warn(details);
  }
  const std::size_t count = loaded->rule_set->rules().size();
  server.InstallRuleSet(loaded->rule_set, loaded->version);
  if (loaded->errors > 0) {
    // After the install, which clears it: a host should see that rules it expects are missing.
    server.SetReloadError(absl::StrCat(loaded->errors, " rule error(s) in ",
                                       loaded->files_with_errors,
                                       " file(s); those rules are not loaded\n", details));
  }
  if (count == 0) log.Warn("no rules loaded; reporting NOT_SERVING");
  log.Info(absl::StrCat(reload ? "rules reloaded: " : "", count, " rule(s) loaded (",
                        loaded->builtin_rules, " built-in, ", loaded->files_read, " file(s) read",
                        loaded->replaced_builtins.empty()
                            ? ""
                            : absl::StrCat(", replacing ", loaded->replaced_builtins.size(),
                                           " built-in rule file(s) of the same name"),
                        "; rule set version ", loaded->version, ")"));
  return true;
}

// What the rule directories look like (names, sizes, modification times), to notice edits.
std::string RuleDirsFingerprint(const std::vector<std::string>& dirs) {
  std::string out;
  for (const auto& dir : dirs) {
    std::error_code error;
    out += dir;
    if (fs::is_regular_file(dir, error)) {  // --rules FILE: that file
      std::error_code ignored;
      out += absl::StrCat("|", fs::file_size(dir, ignored), ":",
                          fs::last_write_time(dir, ignored).time_since_epoch().count(), ";");
      continue;
    }
    // The same files LoadRules reads: every *.yaml / *.yml below the directory.
    for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
      if (!IsRuleFileName(it->path().filename().string())) continue;
      std::error_code ignored;
      out += absl::StrCat("|", it->path().string(), ":", it->file_size(ignored), ":",
                          it->last_write_time(ignored).time_since_epoch().count());
    }
    out += error ? "|unreadable;" : ";";
  }
  return out;
}

// Everything written to stdout from now on (by us or any library) goes to stderr; the returned
// descriptor is the real stdout, for the handshake line only. -1 when stdout is not open.
int ReserveStdout() {
  const int real = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (real >= 0) dup2(STDERR_FILENO, STDOUT_FILENO);
  return real;
}

// go-plugin hosts list the application protocol versions they speak; an empty list means any.
bool HostSpeaksVersion1() {
  const char* versions = std::getenv("PLUGIN_PROTOCOL_VERSIONS");
  if (versions == nullptr || versions[0] == '\0') return true;
  for (absl::string_view v : absl::StrSplit(versions, ',')) {
    if (v == "1") return true;
  }
  return false;
}

// A fresh 0700 directory for the socket: in $PLUGIN_UNIX_SOCKET_DIR when the host names one
// (newer go-plugin hosts do), else $TMPDIR or /tmp. Long bases are skipped: sun_path is short.
std::string PrivateSocketDir() {
  std::string base = "/tmp";
  for (const char* name : {"TMPDIR", "PLUGIN_UNIX_SOCKET_DIR"}) {
    const char* dir = std::getenv(name);
    if (dir != nullptr && dir[0] == '/' && std::strlen(dir) < 60) base = dir;
  }
  std::string dir = base + "/kmsguard-plugin-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  return dir;  // mkdtemp creates it 0700
}

// gRPC's own log lines (a refused TLS handshake, say) would go to stderr in gRPC's format. They
// go through the plugin's log instead, so that every stderr line has the plugin's form (with JSON
// logs, one object that a go-plugin host re-logs at its level), and each of gRPC's source lines
// writes at most 5 a minute (a client retrying a handshake would flood the log). Never
// destroyed: gRPC threads may log until the process exits.
ServeLog* grpc_log = nullptr;
LogLimiter* grpc_log_limiter = nullptr;

void LogGrpcLine(gpr_log_func_args* args) {
  if (grpc_log == nullptr) return;
  const std::string source = absl::StrCat(args->file, ":", args->line);
  std::int64_t left_out = 0;
  if (!grpc_log_limiter->Admit(source, LogLimiter::Clock::now(), &left_out)) return;
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
                         : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                   : LogLevel::kDebug;
  grpc_log->Write(level, absl::StrCat("grpc: ", args->message, " (", source, ")",
                                      left_out > 0 ? absl::StrCat("; ", left_out,
                                                                  " more line(s) from there "
                                                                  "left out before this one")
                                                   : ""));
}

// go-plugin AutoMTLS: the host's certificate is pinned as the only client accepted, and a fresh
// identity serves TLS. Returns the handshake line's sixth field (the certificate for the host).
absl::StatusOr<std::string> SetUpAutoMtls(const std::string& host_cert_pem,
                                          ServerOptions* options) {
  if (absl::Status host = CheckHostCertificate(host_cert_pem); !host.ok()) return host;
  absl::StatusOr<AutoMtlsIdentity> identity = GenerateAutoMtlsIdentity();
  if (!identity.ok()) return identity.status();
  options->tls_cert_pem = std::move(identity->cert_pem);
  options->tls_key_pem = std::move(identity->key_pem);
  options->tls_client_ca_pem.clear();
  options->tls_pinned_client_cert_pem = host_cert_pem;
  return std::move(identity->handshake_field);
}

}  // namespace

CLI::App* AddServeCommand(CLI::App& app, ServeFlags* flags) {
  CLI::App* serve =
      app.add_subcommand("serve",
                         "Run the policy plugin: a gRPC server (kmsguard.plugin.v1.PolicyPlugin, "
                         "grpc.health.v1) for scanner hosts");
  serve->add_option("--listen", flags->listen,
                    "unix:PATH, or HOST:PORT. Without TLS only loopback (127.0.0.1:PORT, "
                    "[::1]:PORT, localhost:PORT). Default: unix:$XDG_RUNTIME_DIR/kmsguard.sock, "
                    "else unix:/tmp/kmsguard-$UID/kmsguard.sock");
  serve->add_option("--health-listen", flags->health_listen,
                    "Also serve grpc.health.v1 alone, in plaintext, on HOST:PORT (any address: "
                    "for Kubernetes gRPC probes, which cannot speak TLS)");
  serve->add_option("--replica-id", flags->replica_id,
                    "Name sent with every Evaluate call, so hosts can tell replicas apart "
                    "(default: $KMSGUARD_REPLICA_ID, else HOSTNAME/PID)");
  serve
      ->add_option("--rules", flags->rule_dirs,
                   "Also load every *.yaml / *.yml rule file under DIR, or the rule file FILE "
                   "(repeatable); built-in rules are always loaded")
      ->type_name("DIR|FILE")
      // One value per flag, as for scan --rules.
      ->allow_extra_args(false);
  serve->add_option("--config", flags->config_file,
                    "Settings file (YAML; every key is in the example kmsguard.yaml: "
                    "configs/ of the source, share/doc/kmsguard/examples/ installed); flags "
                    "override it")
      ->type_name("FILE");
  serve->add_option("--tls-cert", flags->tls_cert, "Server certificate chain (PEM); enables TLS")
      ->type_name("FILE");
  serve->add_option("--tls-key", flags->tls_key, "Private key of --tls-cert (PEM)")
      ->type_name("FILE");
  serve->add_option("--tls-client-ca", flags->tls_client_ca,
                    "Require client certificates signed by this CA (PEM): mTLS")
      ->type_name("FILE");
  serve->add_flag("--exit-with-parent", flags->exit_with_parent,
                  "Shut down when the parent process exits (always on in go-plugin mode)");
  serve->add_option("--shutdown-grace", flags->shutdown_grace_seconds,
                    "Seconds calls in flight get to finish after SIGTERM/SIGINT (default 5)")
      ->check(CLI::Range(0.0, 3600.0));
  serve->add_option("--log-format", flags->log_format,
                    "text or json (default: json in go-plugin mode, else text)")
      ->check(CLI::IsMember({"text", "json"}));
  serve->add_option("--magic-cookie-key", flags->magic_cookie_key,
                    "go-plugin handshake variable (default KMSGUARD_PLUGIN_MAGIC_COOKIE)");
  serve->add_option("--magic-cookie-value", flags->magic_cookie_value,
                    "Its value that selects go-plugin mode (default kmsguard)");
  serve->add_flag("--quiet", flags->quiet, "Report only problems on stderr");
  serve->add_option("--ready-fd", flags->ready_fd,
                    "Write \"ready\" to this inherited file descriptor once serving (for a parent "
                    "process that launched the plugin)")
      ->check(CLI::Range(3, 1 << 20));
  serve->footer(
      "Logs go to stderr; stdout stays empty, except for the one handshake line in go-plugin mode "
      "(when $KMSGUARD_PLUGIN_MAGIC_COOKIE=kmsguard). SIGTERM/SIGINT: stop accepting calls, let "
      "calls in flight finish (--shutdown-grace), exit 0. SIGHUP or a change in a rule "
      "directory: reload the rules (a broken rule file keeps the rules in force). Exit status 2 "
      "when the server cannot start, 1 when calls did not stop within the grace period (+2 s). "
      "Protocol, handshake and settings: docs/plugin-protocol.md, configs/kmsguard.yaml.");
  return serve;
}

int RunServe(const ServeFlags& given_flags) {
  const int handshake_fd = ReserveStdout();
  ServeFlags flags = given_flags;
  absl::Status config_status;
  if (!flags.config_file.empty()) {
    config_status = ApplyConfigFile(flags.config_file, given_flags, &flags);
  }
  const char* cookie = std::getenv(flags.magic_cookie_key.c_str());
  const bool go_plugin = cookie != nullptr && flags.magic_cookie_value == cookie;
  const bool json = flags.log_format.empty() ? go_plugin : flags.log_format == "json";
  ServeLog log(std::cerr, json, flags.quiet);
  if (grpc_log == nullptr) {
    grpc_log = new ServeLog(std::cerr, json, flags.quiet);
    grpc_log_limiter = new LogLimiter(5, std::chrono::minutes(1));
    gpr_set_log_function(LogGrpcLine);
  }
  if (!config_status.ok()) {
    for (absl::string_view line : absl::StrSplit(config_status.message(), '\n')) {
      log.Error(std::string(line));
    }
    return 2;
  }

  std::string socket_dir;
  std::string address = flags.listen;
  if (go_plugin) {
    if (!HostSpeaksVersion1()) {
      log.Error(absl::StrCat("the host speaks plugin protocol version(s) ",
                             std::getenv("PLUGIN_PROTOCOL_VERSIONS"),
                             "; this plugin speaks version 1"));
      return 2;
    }
    socket_dir = PrivateSocketDir();
    if (socket_dir.empty()) {
      log.Error(absl::StrCat("cannot create a private socket directory: ", std::strerror(errno)));
      return 2;
    }
    if (!address.empty()) log.Warn("go-plugin mode: --listen is ignored");
    address = absl::StrCat("unix:", socket_dir, "/plugin.sock");
    flags.exit_with_parent = true;
  } else if (address.empty()) {
    absl::StatusOr<std::string> fallback = DefaultListenAddress();
    if (!fallback.ok()) {
      log.Error(std::string(fallback.status().message()));
      return 2;
    }
    address = *std::move(fallback);
  }
  auto remove_socket_dir = [&socket_dir] {
    if (socket_dir.empty()) return;
    std::error_code ignored;
    fs::remove_all(socket_dir, ignored);
  };

  // One gRPC library reference for the life of the process, never released: destroying the last
  // grpc::Server would otherwise run grpc_shutdown, whose executor join in gRPC 1.51 can wait out
  // a poller's ~10 s timeout after a multi-MB stream (grpc/grpc#41050). The host then killed the
  // plugin after its grace period. Nothing is left to tear down at process exit anyway.
  grpc_init();

  // Shutdown requests come from signals, the controller, the parent watch; main acts on them.
  std::mutex mu;
  std::condition_variable stop_cv;
  std::string stop_reason;  // guarded by mu; non-empty once a stop was requested
  boost::asio::io_context io;
  boost::asio::steady_timer hard_exit_timer(io);
  const auto grace = std::chrono::milliseconds(
      static_cast<std::int64_t>(flags.shutdown_grace_seconds * 1000));
  auto request_stop = [&](const std::string& reason) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!stop_reason.empty()) return;
      stop_reason = reason;
    }
    stop_cv.notify_all();
    // If draining hangs (an evaluation that ignores cancellation), end the process regardless:
    // a plugin that ignores SIGTERM gets SIGKILLed by its host, or lingers as an orphan.
    boost::asio::post(io, [&] {
      hard_exit_timer.expires_after(grace + kHardExitMargin);
      hard_exit_timer.async_wait([&](const boost::system::error_code& error) {
        if (error) return;
        log.Error(absl::StrCat("calls did not finish within ", grace.count() + 2000,
                               " ms of the stop request; exiting now"));
        if (const std::string path = UnixSocketPath(address); !path.empty()) {
          unlink(path.c_str());
        }
        remove_socket_dir();
        _exit(1);
      });
    });
  };

  ServerOptions options;
  options.listen_address = address;
  options.health_listen_address = flags.health_listen;
  options.replica_id = flags.replica_id;
  if (options.replica_id.empty()) {
    if (const char* id = std::getenv("KMSGUARD_REPLICA_ID"); id != nullptr && id[0] != '\0') {
      options.replica_id = id;
    } else {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      options.replica_id = absl::StrCat(host, "/", getpid());
    }
  }
  if (flags.max_batch_size > 0) options.max_batch_size = flags.max_batch_size;
  if (flags.max_message_bytes > 0) options.max_message_bytes = flags.max_message_bytes;
  options.evaluation_threads = flags.evaluation_threads;
  // A go-plugin host with AutoMTLS sets PLUGIN_CLIENT_CERT and then trusts only the certificate
  // in the handshake line, so configured TLS files could never work for it: they give way.
  const char* host_cert = go_plugin ? std::getenv(kGoPluginClientCertVariable) : nullptr;
  const bool auto_mtls = host_cert != nullptr && host_cert[0] != '\0';
  std::string handshake_cert;
  if (auto_mtls) {
    if (!flags.tls_cert.empty() || !flags.tls_key.empty() || !flags.tls_client_ca.empty()) {
      log.Warn(
          "go-plugin AutoMTLS: the configured TLS certificate, key and client CA are "
          "ignored; the host trusts only the certificate this plugin makes for it");
      flags.tls_cert.clear();
      flags.tls_key.clear();
      flags.tls_client_ca.clear();
    }
    absl::StatusOr<std::string> field = SetUpAutoMtls(host_cert, &options);
    if (!field.ok()) {
      log.Error(std::string(field.status().message()));
      remove_socket_dir();
      return 2;
    }
    handshake_cert = *std::move(field);
    log.Info(
        "go-plugin AutoMTLS: serving TLS with a fresh certificate; only the host's client "
        "certificate is accepted");
  }
  for (const auto& [path, what, out] :
       {std::tuple{flags.tls_cert, "TLS certificate", &options.tls_cert_pem},
        std::tuple{flags.tls_key, "TLS key", &options.tls_key_pem},
        std::tuple{flags.tls_client_ca, "TLS client CA", &options.tls_client_ca_pem}}) {
    if (path.empty()) continue;  // not configured (or AutoMTLS's, set above)
    absl::StatusOr<std::string> pem = ReadTlsFile(path, what);
    if (!pem.ok()) {
      log.Error(std::string(pem.status().message()));
      remove_socket_dir();
      return 2;
    }
    *out = *std::move(pem);
  }
  if (absl::Status tls = CheckTlsFiles(options.tls_cert_pem, flags.tls_cert, options.tls_key_pem,
                                      flags.tls_key, options.tls_client_ca_pem,
                                      flags.tls_client_ca);
      !tls.ok()) {
    log.Error(std::string(tls.message()));
    remove_socket_dir();
    return 2;
  }
  if (go_plugin) {
    options.on_controller_shutdown = [&] { request_stop("go-plugin host asked to shut down"); };
  }
  absl::StatusOr<std::unique_ptr<PluginServer>> started = PluginServer::Start(options);
  if (!started.ok()) {
    log.Error(std::string(started.status().message()));
    remove_socket_dir();
    return 2;
  }
  std::unique_ptr<PluginServer> server = *std::move(started);

  // Signals are handled on an Asio thread so they can call into gRPC (a raw signal handler could
  // not); so are the parent watch and the rule-directory watch.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& error, int signal_number) {
        if (error) return;  // cancelled at exit
        if (signal_number == SIGHUP) {
          log.Info("SIGHUP: reloading rules");
          LoadAndInstall(flags, /*reload=*/true, *server, log);
          signals.async_wait(on_signal);
          return;
        }
        request_stop(signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
      };
  signals.async_wait(on_signal);

  boost::asio::steady_timer parent_timer(io);
  const pid_t parent = getppid();
  std::function<void(const boost::system::error_code&)> watch_parent =
      [&](const boost::system::error_code& error) {
        if (error) return;
        if (getppid() != parent) {
          request_stop("parent process exited");
          return;
        }
        parent_timer.expires_after(kParentWatchInterval);
        parent_timer.async_wait(watch_parent);
      };
  if (flags.exit_with_parent) {
    parent_timer.expires_after(kParentWatchInterval);
    parent_timer.async_wait(watch_parent);
  }

  boost::asio::steady_timer rules_timer(io);
  std::string fingerprint = RuleDirsFingerprint(RuleInputs(flags));
  const auto watch_interval = std::chrono::milliseconds(
      static_cast<std::int64_t>(flags.rule_watch_seconds * 1000));
  std::function<void(const boost::system::error_code&)> watch_rules =
      [&](const boost::system::error_code& error) {
        if (error) return;
        std::string now = RuleDirsFingerprint(RuleInputs(flags));
        if (now != fingerprint) {
          fingerprint = std::move(now);
          log.Info("rule directory changed: reloading rules");
          LoadAndInstall(flags, /*reload=*/true, *server, log);
        }
        rules_timer.expires_after(watch_interval);
        rules_timer.async_wait(watch_rules);
      };
  if (!RuleInputs(flags).empty() && watch_interval.count() > 0) {
    rules_timer.expires_after(watch_interval);
    rules_timer.async_wait(watch_rules);
  }
  std::thread io_thread([&io] { io.run(); });

  const bool loaded = LoadAndInstall(flags, /*reload=*/false, *server, log);
  if (loaded) {
    if (go_plugin && handshake_fd >= 0) {
      // CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|PROTOCOL, and with
      // AutoMTLS |SERVER-CERT (DER, base64 without padding).
      const std::string line = absl::StrCat(
          kGoPluginCoreProtocol, "|", client::kProtocolVersion, "|unix|", UnixSocketPath(address),
          "|grpc", handshake_cert.empty() ? "" : "|", handshake_cert, "\n");
      (void)!write(handshake_fd, line.data(), line.size());
    }
    if (flags.ready_fd >= 0) (void)!write(flags.ready_fd, "ready\n", 6);
    log.Info(absl::StrCat("listening on ", server->address(),
                          server->health_address().empty()
                              ? ""
                              : absl::StrCat(" (health checks only: ", server->health_address(),
                                             ")"),
                          " as replica ", options.replica_id));
  } else {
    request_stop("rules could not be loaded");
  }
  if (handshake_fd >= 0) close(handshake_fd);
  // Closed either way: a parent waiting on it learns at once that serving failed.
  if (flags.ready_fd >= 0) close(flags.ready_fd);

  std::string reason;
  {
    std::unique_lock<std::mutex> lock(mu);
    stop_cv.wait(lock, [&] { return !stop_reason.empty(); });
    reason = stop_reason;
  }
  if (loaded) log.Info(absl::StrCat("shutting down (", reason, ")"));
  server->Shutdown(loaded ? grace : std::chrono::milliseconds(0));
  server->Wait();
  // The Asio thread uses the server (SIGHUP), so it stops before the server goes.
  io.stop();
  io_thread.join();
  server.reset();
  remove_socket_dir();
  return loaded ? 0 : 2;
}

}  // namespace kmsguard::plugin
