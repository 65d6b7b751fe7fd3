// The serve log's bound on gRPC's own lines: a limiter per source line, and a real mTLS serve
// that refuses 20 certificate-less clients without writing 20 handshake errors, every stderr line
// in the plugin's own form.
#include "plugin/serve_log.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <thread>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(LogLimiterTest, FivePerSourceAMinuteAndTheNextSaysHowManyWereLeftOut) {
  LogLimiter limiter(5, std::chrono::minutes(1));
  const LogLimiter::Clock::time_point start{};
  std::int64_t left_out = -1;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter.Admit("a.cc:1", start + std::chrono::seconds(i), &left_out)) << i;
    EXPECT_EQ(left_out, 0);
  }
  for (int i = 0; i < 7; ++i) {
    EXPECT_FALSE(limiter.Admit("a.cc:1", start + std::chrono::seconds(10 + i), &left_out));
  }
  // Another source has its own allowance.
  EXPECT_TRUE(limiter.Admit("b.cc:2", start + std::chrono::seconds(20), &left_out));
  EXPECT_EQ(left_out, 0);
  // Still within the minute that began at the first line: refused.
  EXPECT_FALSE(limiter.Admit("a.cc:1", start + std::chrono::seconds(59), &left_out));
  // A new minute: written, saying 8 were left out; the count starts again.
  ASSERT_TRUE(limiter.Admit("a.cc:1", start + std::chrono::seconds(60), &left_out));
  EXPECT_EQ(left_out, 8);
  ASSERT_TRUE(limiter.Admit("a.cc:1", start + std::chrono::seconds(61), &left_out));
  EXPECT_EQ(left_out, 0);
}

TEST(ServeLogTest, RefusedHandshakesDoNotFloodTheLogAndKeepItsForm) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(testing::MakeTestCertificates(dir.path())) << "openssl failed";
  testing::Process serve(
      {KMSGUARD_BINARY, "serve", "--listen", "127.0.0.1:0", "--tls-cert", dir.File("server.pem"),
       "--tls-key", dir.File("server.key"), "--tls-client-ca", dir.File("ca.pem")},
      dir, "serve");
  const std::regex listening("listening on (127\\.0\\.0\\.1:[0-9]+)");
  std::smatch match;
  std::string log;
  for (int i = 0; i < 300 && !std::regex_search(log, match, listening); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log = testing::ReadFile(dir.File("serve.stderr"));
  }
  ASSERT_TRUE(std::regex_search(log, match, listening)) << log;
  const std::string target = "localhost:" + match[1].str().substr(10);

  constexpr int kAttempts = 20;
  for (int i = 0; i < kAttempts; ++i) {
    grpc::SslCredentialsOptions without_certificate;
    without_certificate.pem_root_certs = testing::ReadFile(dir.File("ca.pem"));
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own each time
    auto stub = v1::PolicyPlugin::NewStub(
        grpc::CreateCustomChannel(target, grpc::SslCredentials(without_certificate), args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::GetPluginInfoResponse response;
    EXPECT_FALSE(stub->GetPluginInfo(&context, {}, &response).ok()) << "attempt " << i;
  }
  serve.Signal(SIGTERM);
  const testing::ProcessResult exit = serve.Wait(std::chrono::seconds(15));
  EXPECT_EQ(exit.exit_code, 0) << exit.err;

  int handshake_lines = 0;
  for (const std::string& line : testing::Lines(exit.err)) {
    EXPECT_THAT(line, StartsWith("kmsguard serve: ")) << "not in the plugin's form";
    if (line.find("grpc: ") != std::string::npos) ++handshake_lines;
  }
  EXPECT_GT(handshake_lines, 0) << "the refusals are not logged at all:\n" << exit.err;
  EXPECT_LE(handshake_lines, 10) << exit.err;  // 5 per gRPC source line, at most two sources
  EXPECT_THAT(exit.err, HasSubstr("grpc: "));
}

}  // namespace
}  // namespace kmsguard::plugin
