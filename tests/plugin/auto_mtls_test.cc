// go-plugin AutoMTLS (docs/plugin-protocol.md "AutoMTLS"): the certificate the plugin makes, the
// server that accepts only the host's certificate, and `kmsguard serve` launched the way a
// go-plugin host with AutoMTLS launches it. The Go host itself is tests/plugin/goplugin_host
// (ctest goplugin_host_automtls).
#include "plugin/auto_mtls.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "go_plugin/grpc_controller.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using testing::Process;
using testing::ProcessResult;
using testing::TempDir;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Certificate = std::unique_ptr<X509, X509Free>;

Certificate ParsePem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return Certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string Der(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<const char*>(der), size > 0 ? size : 0);
  OPENSSL_free(der);
  return out;
}

std::string Pem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

// Go's RawStdEncoding decoded with OpenSSL's decoder: the padding goes back on first.
std::string DecodeRawBase64(std::string text) {
  const std::size_t padding = (4 - text.size() % 4) % 4;
  text.append(padding, '=');
  std::string out(text.size() / 4 * 3, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) return "";
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

Certificate FromDer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Certificate(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::vector<std::string> DnsNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type == GEN_DNS) {
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                         ASN1_STRING_length(name->d.dNSName));
    } else {
      names.push_back("(not a DNS name)");
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

TEST(AutoMtlsTest, RawBase64IsStandardBase64WithoutPadding) {
  // RFC 4648 section 10, padding removed as Go's base64.RawStdEncoding does.
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(RawBase64(in), want) << in;
  // The standard alphabet (not the URL one), and no line breaks however long.
  EXPECT_EQ(RawBase64(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_THAT(RawBase64(std::string(1000, 'x')), ::testing::Not(HasSubstr("\n")));
}

TEST(AutoMtlsTest, IdentityIsShapedLikeGoPluginsGenerateCert) {
  absl::StatusOr<AutoMtlsIdentity> identity = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(identity.ok()) << identity.status();
  Certificate cert = ParsePem(identity->cert_pem);
  ASSERT_NE(cert, nullptr);

  // The handshake field is the DER of that very certificate, base64 without padding.
  EXPECT_THAT(identity->handshake_field, MatchesRegex("[A-Za-z0-9+/]+"));
  EXPECT_EQ(DecodeRawBase64(identity->handshake_field), Der(cert.get()));

  // ECDSA P-521, and the key is the certificate's.
  EVP_PKEY* public_key = X509_get0_pubkey(cert.get());
  ASSERT_NE(public_key, nullptr);
  EXPECT_EQ(EVP_PKEY_base_id(public_key), EVP_PKEY_EC);
  char curve[64] = "";
  EVP_PKEY_get_group_name(public_key, curve, sizeof(curve), nullptr);
  EXPECT_STREQ(curve, "secp521r1");  // OpenSSL's name for NIST P-521
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(identity->key_pem.data(), static_cast<int>(identity->key_pem.size())),
      &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);

  // Self-signed, a CA, for localhost, server and client auth.
  EXPECT_EQ(X509_verify(cert.get(), public_key), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(DnsNames(cert.get()), std::vector<std::string>{"localhost"});
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  const uint32_t extended = X509_get_extended_key_usage(cert.get());
  EXPECT_TRUE(extended & XKU_SSL_SERVER);
  EXPECT_TRUE(extended & XKU_SSL_CLIENT);
  const uint32_t usage = X509_get_key_usage(cert.get());
  EXPECT_TRUE(usage & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(usage & KU_KEY_CERT_SIGN);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA512);

  // A 128-bit random serial; valid from just before now for 30 years.
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  EXPECT_EQ(BN_num_bits(serial.get()), 128);
  const std::time_t now = std::time(nullptr);
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), nullptr), 0);
  std::time_t in_29_years = now + 29L * 365 * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &in_29_years), 0);
}

TEST(AutoMtlsTest, EveryIdentityIsFresh) {
  absl::StatusOr<AutoMtlsIdentity> a = GenerateAutoMtlsIdentity();
  absl::StatusOr<AutoMtlsIdentity> b = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key_pem, b->key_pem);
  EXPECT_FALSE(SameCertificate(a->cert_pem, b->cert_pem));
  EXPECT_TRUE(SameCertificate(a->cert_pem, a->cert_pem));
}

TEST(AutoMtlsTest, TheHostSendsExactlyOnePemCertificate) {
  absl::StatusOr<AutoMtlsIdentity> host = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(host.ok());
  EXPECT_TRUE(CheckHostCertificate(host->cert_pem).ok());
  const absl::Status garbage = CheckHostCertificate("not a certificate");
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(garbage.message()), HasSubstr("PLUGIN_CLIENT_CERT"));
  EXPECT_THAT(std::string(CheckHostCertificate(host->cert_pem + host->cert_pem).message()),
              HasSubstr("more than one certificate"));
  EXPECT_FALSE(CheckHostCertificate(host->key_pem).ok());
  EXPECT_FALSE(SameCertificate("garbage", "garbage"));
}

// A TLS client of the plugin's Unix socket, verifying the plugin's certificate for localhost (as
// go-plugin's client does) and presenting `cert_pem` (none when empty).
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                          const std::string& server_cert_pem,
                                          const std::string& cert_pem, const std::string& key_pem) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = server_cert_pem;
  ssl.pem_cert_chain = cert_pem;
  ssl.pem_private_key = key_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  // Each channel its own connection: a shared subchannel would hide which credentials were used.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

grpc::Status CallInfo(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::PolicyPlugin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetPluginInfoResponse response;
  return stub->GetPluginInfo(&context, {}, &response);
}

// A certificate that chains to `issuer` (a CA, as go-plugin's certificates are) but is not it:
// made by the openssl CLI, as the other TLS tests make theirs.
bool IssueLeaf(const TempDir& dir, const AutoMtlsIdentity& issuer) {
  dir.Write("issuer.pem", issuer.cert_pem);
  dir.Write("issuer.key", issuer.key_pem);
  dir.Write("leaf.ext",
            "subjectAltName=DNS:localhost\nextendedKeyUsage=clientAuth,serverAuth\n"
            "keyUsage=digitalSignature\n");
  const std::string script =
      "set -e; cd " + dir.path() +
      "; openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key "
      "-subj /CN=localhost -out leaf.csr 2>/dev/null"
      "; openssl x509 -req -in leaf.csr -CA issuer.pem -CAkey issuer.key -set_serial 7 -days 1 "
      "-extfile leaf.ext -out leaf.pem 2>/dev/null";
  return std::system(script.c_str()) == 0;
}

TEST(AutoMtlsServerTest, OnlyTheHostsOwnCertificateGetsIn) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<AutoMtlsIdentity> plugin = GenerateAutoMtlsIdentity();
  absl::StatusOr<AutoMtlsIdentity> host = GenerateAutoMtlsIdentity();
  absl::StatusOr<AutoMtlsIdentity> stranger = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(plugin.ok() && host.ok() && stranger.ok());
  ASSERT_TRUE(IssueLeaf(dir, *host)) << "openssl could not issue the test certificate";

  ServerOptions options;
  options.listen_address = "unix:" + dir.File("plugin.sock");
  options.tls_cert_pem = plugin->cert_pem;
  options.tls_key_pem = plugin->key_pem;
  options.tls_pinned_client_cert_pem = host->cert_pem;
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  std::ostringstream log;
  absl::StatusOr<LoadedRules> rules = LoadRules({}, log);
  ASSERT_TRUE(rules.ok());
  (*server)->InstallRuleSet(rules->rule_set);
  const std::string address = (*server)->address();

  const grpc::Status host_call =
      CallInfo(TlsChannel(address, plugin->cert_pem, host->cert_pem, host->key_pem));
  EXPECT_TRUE(host_call.ok()) << host_call.error_message();

  EXPECT_FALSE(CallInfo(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())).ok())
      << "plaintext";
  EXPECT_FALSE(CallInfo(TlsChannel(address, plugin->cert_pem, "", "")).ok())
      << "no client certificate";
  EXPECT_FALSE(
      CallInfo(TlsChannel(address, plugin->cert_pem, stranger->cert_pem, stranger->key_pem)).ok())
      << "another self-signed certificate";
  // The TLS stack's chain check passes this one (the host's certificate is a CA and signed it);
  // only the equality check refuses it.
  EXPECT_FALSE(
      CallInfo(TlsChannel(address, plugin->cert_pem, testing::ReadFile(dir.File("leaf.pem")),
                          testing::ReadFile(dir.File("leaf.key"))))
          .ok())
      << "a certificate the host's certificate issued";
}

TEST(AutoMtlsServerTest, APinnedClientCertificateNeedsAServerIdentityAndNoClientCa) {
  absl::StatusOr<AutoMtlsIdentity> plugin = GenerateAutoMtlsIdentity();
  absl::StatusOr<AutoMtlsIdentity> host = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(plugin.ok() && host.ok());
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tls_pinned_client_cert_pem = host->cert_pem;
  EXPECT_EQ(PluginServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_cert_pem = plugin->cert_pem;
  options.tls_key_pem = plugin->key_pem;
  options.tls_client_ca_pem = host->cert_pem;
  absl::StatusOr<std::unique_ptr<PluginServer>> both = PluginServer::Start(options);
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(both.status().message()), HasSubstr("exclude each other"));
  options.tls_client_ca_pem.clear();
  options.tls_pinned_client_cert_pem = "garbage";
  EXPECT_EQ(PluginServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// `kmsguard serve` started as go-plugin starts it with AutoMTLS: the magic cookie and the host's
// certificate in PLUGIN_CLIENT_CERT.
std::unique_ptr<Process> StartGoPluginServe(const TempDir& dir, const char* client_cert,
                                            std::vector<std::string> extra_args = {}) {
  std::vector<std::string> args = {KMSGUARD_BINARY, "serve"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  setenv("KMSGUARD_PLUGIN_MAGIC_COOKIE", "kmsguard", 1);
  setenv(kGoPluginClientCertVariable, client_cert, 1);
  auto process = std::make_unique<Process>(args, dir, "serve");
  unsetenv(kGoPluginClientCertVariable);
  unsetenv("KMSGUARD_PLUGIN_MAGIC_COOKIE");
  return process;
}

std::string AwaitLine(const TempDir& dir, const std::string& name) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = testing::ReadFile(dir.File(name));
    if (text.find('\n') != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return text;
}

TEST(GoPluginAutoMtlsTest, HandshakeCarriesTheCertificateTheHostThenConnectsWith) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<AutoMtlsIdentity> host = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(host.ok());
  // Configured TLS files give way: the host trusts only the handshake's certificate.
  std::unique_ptr<Process> serve =
      StartGoPluginServe(dir, host->cert_pem.c_str(), {"--tls-cert", "/nonexistent.pem"});
  const std::string handshake = AwaitLine(dir, "serve.stdout");
  // CORE|APP|unix|ADDRESS|grpc|SERVER-CERT (go-plugin's client takes a sixth field over 50
  // characters as the certificate).
  ASSERT_THAT(handshake,
              MatchesRegex("1\\|1\\|unix\\|/[^|]+/plugin\\.sock\\|grpc\\|[A-Za-z0-9+/]{51,}\n"))
      << testing::ReadFile(dir.File("serve.stderr"));
  const std::size_t cert_at = handshake.rfind('|') + 1;
  const std::string socket = handshake.substr(9, handshake.find("|grpc|") - 9);
  Certificate served =
      FromDer(DecodeRawBase64(handshake.substr(cert_at, handshake.size() - cert_at - 1)));
  ASSERT_NE(served, nullptr) << "the sixth field is not a base64 DER certificate";
  EXPECT_EQ(DnsNames(served.get()), std::vector<std::string>{"localhost"});
  const std::string served_pem = Pem(served.get());

  auto channel = TlsChannel("unix:" + socket, served_pem, host->cert_pem, host->key_pem);
  {
    auto health = ::grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ::grpc::health::v1::HealthCheckRequest request;
    request.set_service("plugin");
    ::grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = health->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), ::grpc::health::v1::HealthCheckResponse::SERVING);
  }
  EXPECT_TRUE(CallInfo(channel).ok());
  // What go-plugin without AutoMTLS would do, and what the issue's host saw fail the other way.
  EXPECT_FALSE(
      CallInfo(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials())).ok());
  absl::StatusOr<AutoMtlsIdentity> stranger = GenerateAutoMtlsIdentity();
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(
      CallInfo(TlsChannel("unix:" + socket, served_pem, stranger->cert_pem, stranger->key_pem))
          .ok());
  {
    auto controller = ::plugin::GRPCController::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ::plugin::Empty response;
    ASSERT_TRUE(controller->Shutdown(&context, ::plugin::Empty(), &response).ok());
  }
  const ProcessResult r = serve->Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, handshake) << "nothing but the handshake may ever reach stdout";
  EXPECT_THAT(r.err, HasSubstr("AutoMTLS"));
  EXPECT_THAT(r.err, HasSubstr("configured TLS certificate, key and client CA are ignored"));
}

TEST(GoPluginAutoMtlsTest, AHostCertificateThatIsNoCertificateStopsTheStart) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::unique_ptr<Process> serve = StartGoPluginServe(dir, "not a certificate");
  const ProcessResult r = serve->Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.out, IsEmpty()) << "no handshake: the host must not connect without TLS";
  EXPECT_THAT(r.err, HasSubstr("PLUGIN_CLIENT_CERT"));
}

TEST(GoPluginAutoMtlsTest, StandaloneModeLeavesTheVariableAlone) {
  // PLUGIN_CLIENT_CERT belongs to go-plugin's handshake; outside it the TLS flags decide.
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  setenv(kGoPluginClientCertVariable, "not a certificate", 1);
  Process serve({KMSGUARD_BINARY, "serve", "--listen", address}, dir, "serve");
  unsetenv(kGoPluginClientCertVariable);
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  ASSERT_TRUE(
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
      << testing::ReadFile(dir.File("serve.stderr"));
  EXPECT_TRUE(CallInfo(channel).ok());
  channel.reset();
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(15)).exit_code, 0);
}

}  // namespace
}  // namespace kmsguard::plugin
