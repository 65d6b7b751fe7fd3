// The reference client against a misbehaving plugin: whatever the plugin sends, a scan ends.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/client/plugin_client.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::client {
namespace {

namespace v1 = ::kmsguard::plugin::v1;

// Answers every batch with a large finding whose message is not UTF-8: protobuf serializes it (and
// logs), but the host cannot parse it. Then keeps going, as a buggy plugin would.
class UnparseablePlugin final : public v1::PolicyPlugin::Service {
  grpc::Status Evaluate(
      grpc::ServerContext* /*context*/,
      grpc::ServerReaderWriter<v1::EvaluateResponse, v1::EvaluateRequest>* stream) override {
    v1::EvaluateResponse bad;
    bad.mutable_finding_batch()->add_findings()->set_message(std::string(512 * 1024, 'x') +
                                                             "\xFF");
    v1::EvaluateRequest request;
    while (stream->Read(&request)) {
      if (request.has_resource_batch() && !stream->Write(bad)) break;
      if (request.has_scan_end()) {
        v1::EvaluateResponse summary;
        summary.mutable_scan_summary();
        stream->Write(summary);
        break;
      }
    }
    return grpc::Status::OK;
  }
};

// Regression (user trial): an unparseable response left the host's writer blocked on flow
// control and the scan hung for ever.
TEST(ClientRobustnessTest, AnUnparseableResponseEndsTheScanWithAnErrorInsteadOfHanging) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  UnparseablePlugin service;
  grpc::ServerBuilder builder;
  const std::string address = "unix:" + dir.File("bad.sock");
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  std::vector<model::Resource> resources(400);
  for (std::size_t i = 0; i < resources.size(); ++i) {
    resources[i].id = "r" + std::to_string(i);
    resources[i].type = "AWS::IAM::Role";
    resources[i].document = {{"name", "r"}};
  }
  PluginClient plugin_client(address);
  ScanOptions options;
  options.batch_size = 1;
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<ScanResult> result = plugin_client.Scan(resources, options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << result.status();
  server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace kmsguard::client
