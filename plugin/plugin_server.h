// Starts and stops the plugin's gRPC server: PolicyPlugin, the frozen VersionNegotiation service,
// grpc.health.v1, go-plugin's GRPCController when asked for, and (when gRPC's reflection library
// was found at build time) server reflection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sdk/client/protocol.h"
#include "sdk/rules/rule.h"

namespace grpc {
class HealthCheckServiceInterface;
class Server;
class Service;
}  // namespace grpc

namespace kmsguard::plugin {

class PolicyPluginService;

// The health service name go-plugin hosts check.
inline constexpr char kGoPluginHealthService[] = "plugin";

struct ServerOptions {
  // See ValidateListenAddress (plugin/listen_address.h). Port 0 picks a free port.
  std::string listen_address;
  // A second, plaintext listener that serves grpc.health.v1 only (no PolicyPlugin), for
  // Kubernetes' native gRPC probes, which cannot speak TLS. Any HOST:PORT (it tells only whether
  // the plugin serves); empty: none.
  std::string health_listen_address;
  // Named in each Evaluate call's initial metadata (client::kReplicaIdHeader); empty: not sent.
  std::string replica_id;
  int max_message_bytes = client::kDefaultMaxMessageBytes;
  int max_batch_size = client::kDefaultMaxBatchSize;
  // Threads evaluating batches; 0: one per hardware thread.
  int evaluation_threads = 0;
  // TLS: PEM text (not file names). With a certificate and key the server speaks TLS only, which
  // a non-loopback TCP address requires; with a client CA as well it requires and verifies client
  // certificates (mTLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
  // go-plugin AutoMTLS (plugin/auto_mtls.h): with a certificate and key, the server requires a
  // client certificate and accepts exactly this one (PEM), checked in the TLS handshake. Not
  // together with tls_client_ca_pem.
  std::string tls_pinned_client_cert_pem;
  // When set, go-plugin's plugin.GRPCController is served and its Shutdown calls this once the
  // reply has been sent (from a gRPC thread; it must not block). The callee may shut the server
  // down at once without cancelling the host's Shutdown call.
  std::function<void()> on_controller_shutdown;
};

// Keepalive policy (docs/plugin-protocol.md "Keepalive"): a host may ping an idle connection,
// with no call in flight, as often as every kMinClientPingIntervalMs. grpc-go clients never ping
// more often than every 10 s; half that leaves room for delivery jitter, since each ping that
// comes too early is a strike and gRPC ends the connection (GOAWAY too_many_pings) after
// kMaxPingStrikes of them.
inline constexpr int kMinClientPingIntervalMs = 5000;
inline constexpr int kMaxPingStrikes = 2;

class PluginServer {
 public:
  // Validates the address, removes a stale Unix socket file, and starts serving. Health reports
  // NOT_SERVING until InstallRuleSet is given a non-empty rule set. Errors: InvalidArgument for
  // the address or TLS settings, Unavailable when the port cannot be bound (in use: gRPC's
  // SO_REUSEPORT is turned off, so a second server on a port fails instead of sharing it).
  static absl::StatusOr<std::unique_ptr<PluginServer>> Start(const ServerOptions& options);

  // Shuts down (5 s grace) if still running, and removes its Unix socket file.
  ~PluginServer();
  PluginServer(const PluginServer&) = delete;
  PluginServer& operator=(const PluginServer&) = delete;

  // Swaps in a new rule set for calls that start from now on, clears the reload error, and sets
  // health to SERVING when it has rules (NOT_SERVING when null or empty). Thread-safe.
  // `version` (LoadedRules::version) is sent with each call evaluated by this rule set.
  void InstallRuleSet(std::shared_ptr<const rules::RuleSet> rule_set, std::string version = "");

  // Records why a reload was refused (GetPluginInfoResponse.last_reload_error); the rules in
  // force stay. Thread-safe.
  void SetReloadError(std::string error);

  // The address clients dial: the unix: address as given, or host:port with the port chosen.
  const std::string& address() const { return address_; }
  // The health-only listener's address with its port chosen; empty without one.
  const std::string& health_address() const { return health_address_; }

  // Stops accepting calls, lets calls in flight finish until `grace` has passed, then cancels
  // them; blocks until then. Thread-safe; later calls do nothing.
  void Shutdown(std::chrono::milliseconds grace);

  // Blocks until the server has shut down.
  void Wait();

 private:
  // Calls `set` with the health service of the main server and of the health-only one, if any.
  void ForEachHealthService(
      const std::function<void(grpc::HealthCheckServiceInterface&)>& set) const;
  PluginServer() = default;

  std::unique_ptr<PolicyPluginService> service_;
  std::unique_ptr<grpc::Service> negotiation_;
  std::unique_ptr<grpc::Service> controller_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // health_listen_address; may be null
  std::string address_;
  std::string health_address_;
  std::string socket_path_;
};

}  // namespace kmsguard::plugin
