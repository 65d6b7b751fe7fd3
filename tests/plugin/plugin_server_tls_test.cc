// TLS and mTLS on TCP, with certificates made by the openssl CLI at test time; the manifest and
// the version negotiation service over a plain socket.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "kmsguard/plugin/negotiation/negotiation.grpc.pb.h"
#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"
#include "plugin/tls_files.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::shared_ptr<const rules::RuleSet> BuiltinRules() {
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({}, log);
  return loaded.ok() ? loaded->rule_set : nullptr;
}

// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all from the CA.
class Certificates {
 public:
  explicit Certificates(const testing::TempDir& dir) : dir_(dir) {
    ok_ = testing::MakeTestCertificates(dir.path());
  }
  bool ok() const { return ok_; }
  std::string Pem(const std::string& name) const { return testing::ReadFile(dir_.File(name)); }

 private:
  const testing::TempDir& dir_;
  bool ok_ = false;
};

grpc::Status CallInfo(const std::shared_ptr<grpc::Channel>& channel,
                      v1::GetPluginInfoResponse* response) {
  auto stub = v1::PolicyPlugin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->GetPluginInfo(&context, {}, response);
}

std::string Port(const std::string& address) { return address.substr(address.rfind(':') + 1); }

TEST(PluginServerTlsTest, NonLoopbackAddressNeedsTlsAndTlsClientsConnect) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  Certificates certs(dir);
  ASSERT_TRUE(certs.ok()) << "openssl could not make the test certificates";
  ServerOptions options;
  options.listen_address = "0.0.0.0:0";
  EXPECT_EQ(PluginServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);

  options.tls_cert_pem = certs.Pem("server.pem");
  options.tls_key_pem = certs.Pem("server.key");
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->InstallRuleSet(BuiltinRules());
  const std::string target = "localhost:" + Port((*server)->address());

  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = certs.Pem("ca.pem");
  v1::GetPluginInfoResponse info;
  const grpc::Status status =
      CallInfo(grpc::CreateChannel(target, grpc::SslCredentials(trusting)), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.name(), "kmsguard");

  // A plaintext client gets nowhere.
  EXPECT_FALSE(
      CallInfo(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()), &info).ok());
}

TEST(PluginServerTlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  Certificates certs(dir);
  ASSERT_TRUE(certs.ok()) << "openssl could not make the test certificates";
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tls_cert_pem = certs.Pem("server.pem");
  options.tls_key_pem = certs.Pem("server.key");
  options.tls_client_ca_pem = certs.Pem("ca.pem");
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->InstallRuleSet(BuiltinRules());
  const std::string target = "localhost:" + Port((*server)->address());

  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = certs.Pem("ca.pem");
  v1::GetPluginInfoResponse info;
  EXPECT_FALSE(CallInfo(grpc::CreateChannel(target, grpc::SslCredentials(anonymous)), &info).ok())
      << "a client without a certificate must be refused";

  grpc::SslCredentialsOptions with_certificate = anonymous;
  with_certificate.pem_cert_chain = certs.Pem("client.pem");
  with_certificate.pem_private_key = certs.Pem("client.key");
  const grpc::Status status =
      CallInfo(grpc::CreateChannel(target, grpc::SslCredentials(with_certificate)), &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(PluginServerTlsTest, HalfATlsConfigurationIsRefused) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tls_client_ca_pem = "x";
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("certificate"));
}

// Found in a user trial: a key that does not belong to the certificate, or a garbage file, was
// reported by gRPC as "cannot listen ... (address in use ...)". Each now names its file.
TEST(TlsFilesTest, EachProblemNamesItsFileAndWhatIsWrong) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  Certificates certs(dir);
  ASSERT_TRUE(certs.ok()) << "openssl could not make the test certificates";
  const std::string cert = certs.Pem("server.pem");
  const std::string key = certs.Pem("server.key");
  EXPECT_TRUE(CheckTlsFiles(cert, "s.pem", key, "s.key", certs.Pem("ca.pem"), "ca.pem").ok());
  EXPECT_TRUE(CheckTlsFiles("", "", "", "", "", "").ok());

  const absl::Status mismatch =
      CheckTlsFiles(cert, "s.pem", certs.Pem("client.key"), "c.key", "", "");
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mismatch.message()),
              HasSubstr("private key in c.key does not match the certificate in s.pem"));
  EXPECT_THAT(std::string(CheckTlsFiles("garbage", "g.pem", key, "s.key", "", "").message()),
              HasSubstr("g.pem holds no PEM certificate"));
  EXPECT_THAT(std::string(CheckTlsFiles(cert, "s.pem", "garbage", "g.key", "", "").message()),
              HasSubstr("g.key holds no PEM private key"));
  EXPECT_THAT(std::string(CheckTlsFiles(cert, "s.pem", key, "s.key", "garbage", "ca.txt").message()),
              HasSubstr("client CA file ca.txt holds no PEM certificate"));
}

TEST(PluginManifestTest, GetPluginInfoIsARegistrationManifestAndNegotiationPicksVersionOne) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ServerOptions options;
  options.listen_address = "unix:" + dir.File("plugin.sock");
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->InstallRuleSet(BuiltinRules());
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  v1::GetPluginInfoResponse info;
  ASSERT_TRUE(CallInfo(channel, &info).ok());
  EXPECT_THAT(info.supported_protocol_versions(), Contains(1u));
  EXPECT_THAT(info.capabilities(), Contains("evaluate.rule_filter"));
  EXPECT_THAT(info.input_formats(), Contains("aws.iam.authorization_details"));
  EXPECT_EQ(info.limits().max_batch_size(), client::kDefaultMaxBatchSize);
  EXPECT_EQ(info.limits().max_message_bytes(), client::kDefaultMaxMessageBytes);
  EXPECT_THAT(info.rules_loaded_at(), ::testing::MatchesRegex("20[0-9-]+T[0-9:]+Z"));
  EXPECT_TRUE(info.last_reload_error().empty());
  const v1::RuleInfo* headline = nullptr;
  for (const auto& rule : info.rules()) {
    if (rule.id() == "aws-iam-inline-kms-decrypt-all-keys") headline = &rule;
  }
  ASSERT_NE(headline, nullptr);
  const v1::RuleParam* blocked = nullptr;
  for (const auto& param : headline->params()) {
    if (param.name() == "blocked_actions") blocked = &param;
  }
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->type(), "list");
  EXPECT_EQ(blocked->default_json(), R"(["kms:Decrypt","kms:ReEncryptFrom"])");
  EXPECT_EQ(blocked->value_json(), blocked->default_json());

  (*server)->SetReloadError("rules/x.yaml:1:1: error");
  ASSERT_TRUE(CallInfo(channel, &info).ok());
  EXPECT_EQ(info.last_reload_error(), "rules/x.yaml:1:1: error");

  auto negotiation = negotiation::VersionNegotiation::NewStub(channel);
  for (const auto& [host_versions, selected] :
       {std::pair{std::vector<std::uint32_t>{1, 2}, 1u}, std::pair{std::vector<std::uint32_t>{3}, 0u}}) {
    grpc::ClientContext context;
    negotiation::NegotiateRequest request;
    for (auto v : host_versions) request.add_host_versions(v);
    negotiation::NegotiateResponse response;
    ASSERT_TRUE(negotiation->Negotiate(&context, request, &response).ok());
    EXPECT_EQ(response.selected_version(), selected);
    EXPECT_EQ(response.service(), selected == 1 ? "kmsguard.plugin.v1.PolicyPlugin" : "");
    EXPECT_THAT(response.plugin_versions(), Contains(1u));
  }
}

}  // namespace
}  // namespace kmsguard::plugin
