// Starts and stops the plugin's gRPC server: PolicyPlugin, grpc.health.v1 and (when gRPC's
// reflection library was found at build time) server reflection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sdk/client/protocol.h"
#include "sdk/rules/rule.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace kmsguard::plugin {

class PolicyPluginService;

struct ServerOptions {
  // See ValidateListenAddress (plugin/listen_address.h). Port 0 picks a free port.
  std::string listen_address;
  int max_message_bytes = client::kDefaultMaxMessageBytes;
  int max_batch_size = client::kDefaultMaxBatchSize;
};

class PluginServer {
 public:
  // Validates the address, removes a stale Unix socket file, and starts serving. Health reports
  // NOT_SERVING until InstallRuleSet is given a non-empty rule set. Errors: InvalidArgument for
  // the address, Unavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<PluginServer>> Start(const ServerOptions& options);

  // Shuts down (5 s grace) if still running, and removes its Unix socket file.
  ~PluginServer();
  PluginServer(const PluginServer&) = delete;
  PluginServer& operator=(const PluginServer&) = delete;

  // Swaps in a new rule set for calls that start from now on, and sets health to SERVING when it
  // has rules (NOT_SERVING when null or empty). Thread-safe.
  void InstallRuleSet(std::shared_ptr<const rules::RuleSet> rule_set);

  // The address clients dial: the unix: address as given, or host:port with the port chosen.
  const std::string& address() const { return address_; }

  // Stops accepting calls, lets calls in flight finish until `grace` has passed, then cancels
  // them. Thread-safe; later calls do nothing.
  void Shutdown(std::chrono::milliseconds grace);

  // Blocks until the server has shut down.
  void Wait();

 private:
  PluginServer() = default;

  std::unique_ptr<PolicyPluginService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string socket_path_;
};

}  // namespace kmsguard::plugin
