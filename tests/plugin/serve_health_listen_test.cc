// The health-only listener (`--health-listen`, `health_listen` in kmsguard.yaml) that Kubernetes'
// native gRPC probes use: plaintext grpc.health.v1 on a port of its own, following the rules
// (NOT_SERVING until they load) and nothing else (PolicyPlugin is not served there); and the
// settings file's `health_listen` and `replica_id`, which a ConfigMap carries to every replica
// (flags still win).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"
#include "sdk/client/protocol.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

// The health status of `service` at `address` (plaintext), or the call's error code (negated).
int HealthOf(const std::string& address, const std::string& service) {
  auto stub = ::grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.set_wait_for_ready(true);
  ::grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  return status.ok() ? static_cast<int>(response.status()) : -static_cast<int>(status.error_code());
}

grpc::StatusCode PluginInfoCode(const std::string& address) {
  auto stub =
      v1::PolicyPlugin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetPluginInfoResponse response;
  return stub->GetPluginInfo(&context, {}, &response).error_code();
}

TEST(HealthListenTest, ServesHealthAloneAndFollowsTheRules) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.health_listen_address = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string health = (*server)->health_address();
  ASSERT_THAT(health, ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE(health, (*server)->address());

  // No rules yet: not ready, on both the main and the health port.
  EXPECT_EQ(HealthOf(health, client::kPolicyPluginServiceName), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HealthOf((*server)->address(), client::kPolicyPluginServiceName),
            HealthCheckResponse::NOT_SERVING);

  std::ostringstream log;
  absl::StatusOr<LoadedRules> rules = LoadRules({}, log);
  ASSERT_TRUE(rules.ok()) << rules.status();
  (*server)->InstallRuleSet(rules->rule_set);
  for (const char* service : {client::kPolicyPluginServiceName, ""}) {
    EXPECT_EQ(HealthOf(health, service), HealthCheckResponse::SERVING) << service;
  }
  // Only health there: the plugin's own service is not reachable in plaintext on that port.
  EXPECT_EQ(PluginInfoCode(health), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(PluginInfoCode((*server)->address()), grpc::StatusCode::OK);
}

// `serve --config`: health_listen and replica_id from the file, and a flag over the file.
TEST(HealthListenTest, SettingsFileGivesTheHealthListenerAndTheReplicaId) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string config =
      dir.Write("kmsguard.yaml",
                "listen: 127.0.0.1:0\nhealth_listen: 127.0.0.1:0\nreplica_id: from-config\n");
  const std::regex listening(
      "listening on 127\\.0\\.0\\.1:[0-9]+ \\(health checks only: (127\\.0\\.0\\.1:[0-9]+)\\) as "
      "replica ([^\\s]+)");
  for (const bool flag : {false, true}) {
    SCOPED_TRACE(flag ? "--replica-id given" : "settings file only");
    const std::string tag = flag ? "with-flag" : "file-only";
    std::vector<std::string> args = {KMSGUARD_BINARY, "serve", "--config", config};
    if (flag) args.insert(args.end(), {"--replica-id", "from-flag"});
    testing::Process serve(args, dir, tag);
    std::smatch match;
    std::string log;
    for (int i = 0; i < 300; ++i) {
      log = testing::ReadFile(dir.File(tag + ".stderr"));
      if (std::regex_search(log, match, listening)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(std::regex_search(log, match, listening)) << log;
    EXPECT_EQ(match[2].str(), flag ? "from-flag" : "from-config");
    EXPECT_EQ(HealthOf(match[1].str(), client::kPolicyPluginServiceName),
              HealthCheckResponse::SERVING);
    serve.Signal(SIGTERM);
    const testing::ProcessResult exit = serve.Wait(std::chrono::seconds(15));
    EXPECT_EQ(exit.exit_code, 0) << exit.err;
  }
}

}  // namespace
}  // namespace kmsguard::plugin
