#include "plugin/plugin_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <utility>
#ifdef KMSGUARD_HAVE_REFLECTION
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#endif

#include "absl/strings/str_cat.h"
#include "plugin/listen_address.h"
#include "plugin/plugin_service.h"

namespace kmsguard::plugin {

absl::StatusOr<std::unique_ptr<PluginServer>> PluginServer::Start(const ServerOptions& options) {
  if (absl::Status valid = ValidateListenAddress(options.listen_address); !valid.ok()) {
    return valid;
  }
  if (absl::Status prepared = PrepareUnixSocket(options.listen_address); !prepared.ok()) {
    return prepared;
  }
  // Both are process-wide switches read when a server is built.
  grpc::EnableDefaultHealthCheckService(true);
#ifdef KMSGUARD_HAVE_REFLECTION
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
#endif

  std::unique_ptr<PluginServer> server(new PluginServer());
  server->service_ = std::make_unique<PolicyPluginService>(ServiceLimits{
      .max_message_bytes = options.max_message_bytes, .max_batch_size = options.max_batch_size});

  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (in use, or no permission?)"));
  }

  server->socket_path_ = UnixSocketPath(options.listen_address);
  if (server->socket_path_.empty()) {
    const std::size_t colon = options.listen_address.rfind(':');
    server->address_ = absl::StrCat(options.listen_address.substr(0, colon), ":", selected_port);
  } else {
    server->address_ = options.listen_address;
  }
  server->InstallRuleSet(nullptr);
  return server;
}

PluginServer::~PluginServer() {
  if (server_ != nullptr) {
    Shutdown(std::chrono::seconds(5));
    server_->Wait();
  }
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
}

void PluginServer::InstallRuleSet(std::shared_ptr<const rules::RuleSet> rule_set) {
  const bool serving = rule_set != nullptr && !rule_set->rules().empty();
  service_->SetEvaluator(serving ? std::make_shared<const engine::Evaluator>(std::move(rule_set))
                                 : nullptr);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(client::kPolicyPluginServiceName, serving);
    health->SetServingStatus("", serving);
  }
}

void PluginServer::Shutdown(std::chrono::milliseconds grace) {
  server_->Shutdown(std::chrono::system_clock::now() + grace);
}

void PluginServer::Wait() { server_->Wait(); }

}  // namespace kmsguard::plugin
