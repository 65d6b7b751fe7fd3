// `kmsguard serve` as a process: go-plugin handshake mode, reload on SIGHUP, the parent watch,
// SIGTERM during a stream, the settings file, and a bounded load test.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "go_plugin/grpc_controller.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/client/plugin_client.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::Process;
using testing::ProcessResult;
using testing::TempDir;

constexpr char kRuleId[] = "aws-iam-inline-kms-decrypt-all-keys";

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

// Starts `args` with `name=value` added to the environment.
std::unique_ptr<Process> StartWithEnv(const std::vector<std::string>& args, const TempDir& dir,
                                      const std::string& tag, const char* name,
                                      const char* value) {
  setenv(name, value, 1);
  auto process = std::make_unique<Process>(args, dir, tag);
  unsetenv(name);
  return process;
}

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
template <typename Predicate>
bool Eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

std::string Slurp(const std::string& path) { return testing::ReadFile(path); }

// A copy of the built-in KMS.2 rule under another id: a valid rule file to load and reload.
std::string CustomRule(const std::string& id) {
  std::string text =
      Slurp(std::string(KMSGUARD_SOURCE_DIR) + "/rules/aws-iam-inline-kms-decrypt-all-keys.yaml");
  const std::string old_id = std::string("id: ") + kRuleId;
  const std::size_t at = text.find(old_id);
  if (at != std::string::npos) text.replace(at, old_id.size(), "id: " + id);
  return text;
}

v1::GetPluginInfoResponse Info(const std::string& address) {
  auto stub =
      v1::PolicyPlugin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetPluginInfoResponse response;
  const grpc::Status status = stub->GetPluginInfo(&context, {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

bool HasRule(const v1::GetPluginInfoResponse& info, const std::string& id) {
  for (const auto& rule : info.rules()) {
    if (rule.id() == id) return true;
  }
  return false;
}

bool ProcessGone(pid_t pid) {
  // Reparented to init (or a container's PID 1, which may not reap): a zombie counts as gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
}

long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(GoPluginModeTest, PrintsExactlyOneHandshakeLineLogsJsonAndStopsOnControllerShutdown) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const auto launched = std::chrono::steady_clock::now();
  std::unique_ptr<Process> serve = StartWithEnv({KMSGUARD_BINARY, "serve"}, dir, "serve",
                                                "KMSGUARD_PLUGIN_MAGIC_COOKIE", "kmsguard");
  ASSERT_GT(serve->pid(), 0);
  std::string handshake;
  ASSERT_TRUE(Eventually(
      [&] {
        handshake = Slurp(dir.File("serve.stdout"));
        return handshake.find('\n') != std::string::npos;
      },
      std::chrono::seconds(10)))
      << Slurp(dir.File("serve.stderr"));
  // The handshake goes out once the rules are loaded, i.e. when health turns SERVING. Hosts time
  // out plugins that are slow to start; the bound is loose for sanitizer builds on a busy machine.
  const auto startup = std::chrono::steady_clock::now() - launched;
  std::cerr << "start-up to handshake (SERVING): "
            << std::chrono::duration_cast<std::chrono::milliseconds>(startup).count() << " ms\n";
  EXPECT_LT(startup, std::chrono::seconds(5));
  // CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|unix|ADDRESS|grpc
  ASSERT_THAT(handshake, ::testing::MatchesRegex("1\\|1\\|unix\\|/[^|]+/plugin\\.sock\\|grpc\n"));
  const std::string socket = handshake.substr(9, handshake.size() - 9 - 6);
  const std::string socket_dir = std::filesystem::path(socket).parent_path();
  struct stat info {};
  ASSERT_EQ(stat(socket_dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u) << "the socket directory must be private";

  // Health under go-plugin's service name, SERVING as soon as the handshake is out.
  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  {
    auto health = ::grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ::grpc::health::v1::HealthCheckRequest request;
    request.set_service("plugin");
    ::grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(), ::grpc::health::v1::HealthCheckResponse::SERVING);
  }
  EXPECT_TRUE(HasRule(Info("unix:" + socket), kRuleId));
  {
    auto controller = ::plugin::GRPCController::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ::plugin::Empty response;
    ASSERT_TRUE(controller->Shutdown(&context, ::plugin::Empty(), &response).ok());
  }
  const auto stopping = std::chrono::steady_clock::now();
  const ProcessResult r = serve->Wait(std::chrono::seconds(15));
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(2))
      << "go-plugin hosts kill a plugin that has not exited 2 s after Shutdown";
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, handshake) << "nothing but the handshake may ever reach stdout";
  EXPECT_FALSE(std::filesystem::exists(socket_dir)) << "the private directory is removed";
  std::istringstream lines(r.err);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(entry.is_object()) << "not a JSON log line: " << line;
    EXPECT_TRUE(entry.contains("@level") && entry.contains("@message") &&
                entry.contains("@timestamp"))
        << line;
  }
  EXPECT_GT(count, 0);
}

TEST(GoPluginModeTest, RefusesAHostThatSpeaksNoCommonVersion) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  setenv("PLUGIN_PROTOCOL_VERSIONS", "2,3", 1);
  std::unique_ptr<Process> serve = StartWithEnv({KMSGUARD_BINARY, "serve"}, dir, "serve",
                                                "KMSGUARD_PLUGIN_MAGIC_COOKIE", "kmsguard");
  unsetenv("PLUGIN_PROTOCOL_VERSIONS");
  const ProcessResult r = serve->Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("speaks version 1"));
}

// Regression (user trial): a SIGHUP after a rule file broke dropped that file's rules.
TEST(ServeReloadTest, SighupLoadsAGoodFileAndKeepsTheLastGoodSetOnABadOneOrAMissingDirectory) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules_dir = dir.path() + "/rules";
  std::filesystem::create_directory(rules_dir);
  dir.Write("rules/custom.yaml", CustomRule("custom-one"));
  const std::string address = "unix:" + dir.File("plugin.sock");
  // The directory watch is off, so only SIGHUP reloads here.
  Process serve({KMSGUARD_BINARY, "serve", "--listen", address, "--rules", rules_dir,
                 "--config", dir.Write("no-watch.yaml", "rules:\n  watch_seconds: 0\n")},
                dir, "serve");
  auto plugin_client = std::make_unique<client::PluginClient>(address);
  ASSERT_TRUE(plugin_client->WaitForServing(std::chrono::seconds(10)).ok());
  ASSERT_TRUE(HasRule(Info(address), "custom-one"));

  // A good change: the new rule appears.
  dir.Write("rules/second.yaml", CustomRule("custom-two"));
  serve.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return HasRule(Info(address), "custom-two"); },
                         std::chrono::seconds(10)));

  // A bad change: everything stays, and the error is reported.
  dir.Write("rules/custom.yaml", "api_version: kmsguard/v1\nid: [oops\n");
  serve.Signal(SIGHUP);
  v1::GetPluginInfoResponse info;
  EXPECT_TRUE(Eventually(
      [&] {
        info = Info(address);
        return !info.last_reload_error().empty();
      },
      std::chrono::seconds(10)));
  EXPECT_THAT(info.last_reload_error(), HasSubstr("custom.yaml"));
  EXPECT_TRUE(HasRule(info, "custom-one")) << "the last good rule set stays in force";
  EXPECT_TRUE(HasRule(info, "custom-two"));
  EXPECT_TRUE(HasRule(info, kRuleId));
  absl::StatusOr<client::ScanResult> scan = plugin_client->Scan({});
  EXPECT_TRUE(scan.ok()) << scan.status();

  // The whole directory gone: the same.
  std::filesystem::remove_all(rules_dir);
  serve.Signal(SIGHUP);
  EXPECT_TRUE(Eventually(
      [&] {
        info = Info(address);
        return info.last_reload_error().find("does not exist") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << info.last_reload_error();
  EXPECT_TRUE(HasRule(info, "custom-one"));

  // Fixed again: the error clears.
  std::filesystem::create_directory(rules_dir);
  dir.Write("rules/custom.yaml", CustomRule("custom-three"));
  serve.Signal(SIGHUP);
  EXPECT_TRUE(Eventually(
      [&] {
        info = Info(address);
        return HasRule(info, "custom-three") && info.last_reload_error().empty();
      },
      std::chrono::seconds(10)));
  EXPECT_FALSE(HasRule(info, "custom-one"));

  plugin_client.reset();  // an open connection would hold shutdown for the grace period
  serve.Signal(SIGTERM);
  const ProcessResult r = serve.Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("rule reload refused, previous rules stay in force"));
}

TEST(ServeReloadTest, RuleErrorsAtStartUpServeTheRestAndShowInTheManifest) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules_dir = dir.path() + "/rules";
  std::filesystem::create_directory(rules_dir);
  dir.Write("rules/good.yaml", CustomRule("custom-good"));
  dir.Write("rules/broken.yaml", "api_version: kmsguard/v1\nid: [oops\n");
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--listen", address, "--rules", rules_dir}, dir,
                "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok());
  const v1::GetPluginInfoResponse info = Info(address);
  EXPECT_TRUE(HasRule(info, "custom-good"));
  EXPECT_THAT(info.last_reload_error(), HasSubstr("broken.yaml"));
}

TEST(ServeReloadTest, AnEditInAWatchedRuleDirectoryReloadsWithoutASignal) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules_dir = dir.path() + "/rules";
  std::filesystem::create_directory(rules_dir);
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--listen", address, "--rules", rules_dir,
                 "--config", dir.Write("watch.yaml", "rules:\n  watch_seconds: 0.2\n")},
                dir, "serve");
  client::PluginClient plugin_client(address);
  ASSERT_TRUE(plugin_client.WaitForServing(std::chrono::seconds(10)).ok());
  dir.Write("rules/custom.yaml", CustomRule("custom-watched"));
  EXPECT_TRUE(Eventually([&] { return HasRule(Info(address), "custom-watched"); },
                         std::chrono::seconds(10)));
}

// Regression (user trial): a killed `scan` left its serve child running.
TEST(ServeParentWatchTest, ExitsWhenItsParentDies) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  // The shell starts serve, prints its pid, and becomes `sleep`: serve's parent.
  Process parent({"/bin/sh", "-c",
                  std::string(KMSGUARD_BINARY) + " serve --quiet --exit-with-parent --listen " +
                      address + " & echo $!; exec sleep 60"},
                 dir, "parent");
  std::string pid_text;
  ASSERT_TRUE(Eventually(
      [&] {
        pid_text = Slurp(dir.File("parent.stdout"));
        return pid_text.find('\n') != std::string::npos;
      },
      std::chrono::seconds(10)));
  const pid_t serve_pid = std::stoi(pid_text);
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok());
  parent.Signal(SIGKILL);
  parent.Wait(std::chrono::seconds(5));
  EXPECT_TRUE(Eventually([&] { return ProcessGone(serve_pid); }, std::chrono::seconds(5)))
      << "serve outlived its parent";
  if (!ProcessGone(serve_pid)) kill(serve_pid, SIGKILL);
}

// SIGTERM while a host holds a stream open: the call is cancelled at the grace deadline and the
// process exits cleanly, instead of waiting for the host.
TEST(ServeShutdownTest, SigtermDuringAStreamDrainsWithinTheGracePeriod) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--listen", address, "--shutdown-grace", "1"}, dir,
                "serve");
  client::PluginClient plugin_client(address);
  ASSERT_TRUE(plugin_client.WaitForServing(std::chrono::seconds(10)).ok());

  auto stub =
      v1::PolicyPlugin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Evaluate(&context);
  v1::EvaluateRequest start;
  start.mutable_scan_start()->set_scan_id("held-open");
  ASSERT_TRUE(stream->Write(start));

  serve.Signal(SIGTERM);
  const auto stopping = std::chrono::steady_clock::now();
  v1::EvaluateResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_FALSE(status.ok()) << "the held-open scan cannot complete";
  const ProcessResult r = serve.Wait(std::chrono::seconds(15));
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(4));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("shutting down (SIGTERM)"));
}

// Regression (user trial): serve ignored SIGTERM while it evaluated a long batch. Evaluation now
// stops between two resources once the call is cancelled, so the stop does not wait for the
// batch (nor for the hard exit, which would end the process with status 1).
TEST(ServeShutdownTest, SigtermDuringALongBatchStopsTheEvaluationAndExitsCleanly) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  constexpr int kBatch = 50000;
  const std::string config =
      dir.Write("big.yaml", "limits:\n  max_batch_size: " + std::to_string(kBatch) + "\n");
  Process serve({KMSGUARD_BINARY, "serve", "--config", config, "--listen", address,
                 "--shutdown-grace", "0.2"},
                dir, "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok());

  v1::EvaluateRequest batch;
  for (int i = 0; i < kBatch; ++i) {
    v1::Resource* role = batch.mutable_resource_batch()->add_resources();
    role->set_id("arn:aws:iam::111122223333:role/r" + std::to_string(i));
    role->set_type("AWS::IAM::Role");
    role->set_document_json(
        R"({"RoleName":"r","Path":"/","RolePolicyList":[{"PolicyName":"p","PolicyDocument":)"
        R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}}],)"
        R"("AttachedManagedPolicies":[]})");
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  auto stub = v1::PolicyPlugin::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->Evaluate(&context);
  v1::EvaluateRequest start;
  start.mutable_scan_start()->set_scan_id("long-batch");
  ASSERT_TRUE(stream->Write(start));
  ASSERT_TRUE(stream->Write(batch));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // evaluation under way

  serve.Signal(SIGTERM);
  const auto stopping = std::chrono::steady_clock::now();
  const ProcessResult r = serve.Wait(std::chrono::seconds(30));
  const auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_EQ(r.exit_code, 0) << "1 means the hard exit had to end a stuck drain\n" << Describe(r);
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  context.TryCancel();
  stream->Finish();
}

TEST(ServeTlsFlagsTest, UnreadableOrIncompleteTlsFilesExitTwoSayingWhich) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string missing = dir.File("missing.pem");
  ProcessResult r = testing::Run({KMSGUARD_BINARY, "serve", "--listen", "0.0.0.0:0",
                                  "--tls-cert", missing, "--tls-key", missing});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("cannot read the TLS certificate file " + missing));
  const std::string cert = dir.Write("cert.pem", "not really a certificate");
  r = testing::Run({KMSGUARD_BINARY, "serve", "--listen", "0.0.0.0:0", "--tls-cert", cert});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("both a certificate and its private key"));
}

TEST(ServeConfigTest, AnUnknownKeyIsAnErrorWithItsLineAndColumn) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string config = dir.Write("kmsguard.yaml", "limits:\n  max_batch_size: 10\n  max_bach: 3\n");
  const ProcessResult r = testing::Run({KMSGUARD_BINARY, "serve", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(config + ":3:3: unknown setting \"limits.max_bach\""));
}

TEST(ServeConfigTest, WrongTypesAndBadOverridesAreErrorsWithTheirPosition) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string wrong_type = dir.Write("a.yaml", "limits:\n  max_batch_size: lots\n");
  ProcessResult r = testing::Run({KMSGUARD_BINARY, "serve", "--config", wrong_type});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(wrong_type + ":2:19: limits.max_batch_size has the wrong type"));

  const std::string bad_param = dir.Write(
      "b.yaml", "rules:\n  params:\n    " + std::string(kRuleId) + ":\n      no_such: 1\n");
  // A bad override is a rule error: the rest of the rules serve, as with a broken rule file.
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--config", bad_param, "--listen", address}, dir,
                "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok());
  serve.Signal(SIGTERM);
  r = serve.Wait(std::chrono::seconds(15));
  EXPECT_THAT(r.err, HasSubstr(bad_param + ":4:16"));
  EXPECT_THAT(r.err, HasSubstr("has no parameter \"no_such\""));
}

// rules.overrides: the settings file changes a rule's severity, parameters and exceptions as a
// `kind: Override` document would, read by the same reader; rules.params (the older form) still
// works beside it. A scan over the plugin shows each change.
TEST(ServeConfigTest, OverridesInTheSettingsFileSetSeverityParamsAndExceptionsPerRule) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string config = dir.Write("kmsguard.yaml",
                                       "rules:\n"
                                       "  params:\n"
                                       "    aws-iam-kms-decrypt-broad-scope:\n"
                                       "      blocked_actions: [kms:ReEncryptFrom]\n"
                                       "  overrides:\n"
                                       "    - rule: aws-iam-inline-kms-decrypt-all-keys\n"
                                       "      severity: high\n"
                                       "      params:\n"
                                       "        on_condition: warn\n"
                                       "      exceptions:\n"
                                       "        - match: {equals: {path: $.name, value: erin}}\n"
                                       "          reason: legacy, retiring in Q1\n"
                                       "          owner: sec@example.com\n"
                                       "          expires: 2099-12-31\n"
                                       "    - rule: aws-iam-managed-kms-decrypt-all-keys\n"
                                       "      severity: low\n");
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--config", config, "--listen", address}, dir, "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok())
      << testing::ReadFile(dir.File("serve.stderr"));
  const ProcessResult scan = testing::Run({KMSGUARD_BINARY, "scan", "--format", "jsonl", "--plugin",
                                           address, testing::BundledExample()});
  EXPECT_EQ(scan.exit_code, 1) << Describe(scan);
  std::map<std::string, nlohmann::json> by_key;
  for (const std::string& line : testing::Lines(scan.out)) {
    const nlohmann::json f = nlohmann::json::parse(line, nullptr, false);
    if (f.is_object() && f.contains("rule_id")) {
      by_key[f.value("rule_id", "") + " " + f.value("resource_name", "")] = f;
    }
  }
  // Severity, with the place in the settings file that set it.
  const nlohmann::json bob = by_key[std::string(kRuleId) + " bob"];
  EXPECT_EQ(bob["status"], "STATUS_FAIL");
  EXPECT_EQ(bob["severity"], "SEVERITY_HIGH");
  EXPECT_EQ(bob["rule_severity"], "SEVERITY_MEDIUM");
  EXPECT_EQ(bob["severity_changes"][0]["reason"], "override at " + config + ":7:17");
  const nlohmann::json managed =
      by_key["aws-iam-managed-kms-decrypt-all-keys KmsDecryptAllKeys-Managed"];
  EXPECT_EQ(managed["severity"], "SEVERITY_LOW");
  EXPECT_EQ(managed["severity_changes"][0]["reason"], "override at " + config + ":16:17");
  // The parameter: a grant under a Condition is a WARNING now (severity high, then raised).
  const nlohmann::json partner = by_key[std::string(kRuleId) + " partner-audit-access"];
  EXPECT_EQ(partner["status"], "STATUS_WARNING");
  EXPECT_EQ(partner["severity"], "SEVERITY_CRITICAL");
  EXPECT_EQ(partner["severity_changes"].size(), 2u);
  // The exception.
  const nlohmann::json erin = by_key[std::string(kRuleId) + " erin"];
  EXPECT_EQ(erin["status"], "STATUS_SUPPRESSED");
  EXPECT_EQ(erin["suppression"]["reason"], "legacy, retiring in Q1");
  // rules.params: the broad-scope rule blocks only kms:ReEncryptFrom, which glue's policy grants.
  const nlohmann::json glue = by_key["aws-iam-kms-decrypt-broad-scope glue-data-pipeline"];
  EXPECT_EQ(glue["status"], "STATUS_FAIL");
  EXPECT_THAT(glue["message"].get<std::string>(), Not(HasSubstr("kms:Decrypt")));
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(15)).exit_code, 0);
}

// A value the reader refuses stops the start, at its line and column, naming the key, as every
// other mistake of the file; an unknown rule id is a rule error (the rest serve), at the id.
TEST(ServeConfigTest, BadOverridesInTheSettingsFileAreErrorsAtTheirPlace) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string bad = dir.Write("bad.yaml",
                                    "rules:\n"
                                    "  overrides:\n"
                                    "    - rule: aws-iam-inline-kms-decrypt-all-keys\n"
                                    "      severity: hihg\n"
                                    "    - rule: aws-iam-managed-kms-decrypt-all-keys\n"
                                    "      colour: red\n"
                                    "  params:\n"
                                    "    aws-iam-kms-decrypt-broad-scope: [kms:Decrypt]\n");
  const ProcessResult r = testing::Run({KMSGUARD_BINARY, "serve", "--config", bad});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(bad + ":4:17: invalid severity \"hihg\"; allowed: informational, "
                                     "low, medium, high, critical"));
  EXPECT_THAT(r.err, HasSubstr(bad + ":6:7: unknown key \"colour\" in an override"));
  EXPECT_THAT(r.err, HasSubstr(bad + ":8:38: \"params\" must be a map, got a list"));

  const std::string unknown =
      dir.Write("unknown.yaml",
                "rules:\n  overrides:\n    - rule: no-such-rule\n      severity: high\n"
                "  params:\n    also-no-such-rule: {x: 1}\n");
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--config", unknown, "--listen", address}, dir, "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok());
  serve.Signal(SIGTERM);
  const ProcessResult served = serve.Wait(std::chrono::seconds(15));
  EXPECT_THAT(served.err, HasSubstr(unknown + ":3:7: error: override of unknown rule "
                                              "\"no-such-rule\" [rule_param_error]"));
  EXPECT_THAT(served.err, HasSubstr(unknown + ":6:5: error: override of unknown rule "
                                              "\"also-no-such-rule\" [rule_param_error]"));
}

// rules.exceptions_file: Override documents kept apart from the rules. An accepted finding in it
// is SUPPRESSED in a scan over the plugin; a Rule document in it stops the start, named.
TEST(ServeConfigTest, AnExceptionsFileSuppressesAcceptedFindingsAndHoldsOnlyOverrides) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("exceptions.yaml",
            "api_version: kmsguard/v1\nkind: Override\nrule: aws-iam-inline-kms-decrypt-all-keys\n"
            "exceptions:\n  - match: {equals: {path: $.name, value: ec2-app-server}}\n"
            "    reason: reviewed\n    owner: sec@example.com\n    expires: 2099-12-31\n");
  const std::string config =
      dir.Write("kmsguard.yaml", "rules:\n  exceptions_file: exceptions.yaml\n");  // beside it
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--config", config, "--listen", address}, dir, "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok())
      << testing::ReadFile(dir.File("serve.stderr"));
  const ProcessResult scan = testing::Run({KMSGUARD_BINARY, "scan", "--format", "jsonl",
                                           "--plugin", address, testing::BundledExample()});
  EXPECT_EQ(scan.exit_code, 1) << Describe(scan);  // the other FAILs remain
  int suppressed = 0;
  for (const std::string& line : testing::Lines(scan.out)) {
    const nlohmann::json finding = nlohmann::json::parse(line, nullptr, false);
    if (!finding.is_object() || finding.value("status", "") != "STATUS_SUPPRESSED") continue;
    ++suppressed;
    EXPECT_EQ(finding.value("rule_id", ""), "aws-iam-inline-kms-decrypt-all-keys");
    EXPECT_THAT(finding.dump(), HasSubstr("ec2-app-server"));
  }
  EXPECT_EQ(suppressed, 1) << scan.out;
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(15)).exit_code, 0);

  const std::string with_rule = dir.Write(
      "with-rule.yaml",
      "api_version: kmsguard/v1\nkind: Override\nrule: aws-iam-inline-kms-decrypt-all-keys\n"
      "severity: high\n---\n" +
          testing::RoleRuleYaml("sneaked-in", "equals: {path: $.name, value: x}", "x"));
  const std::string bad_config =
      dir.Write("bad.yaml", "rules:\n  exceptions_file: with-rule.yaml\n");
  const ProcessResult refused = testing::Run({KMSGUARD_BINARY, "serve", "--config", bad_config,
                                              "--listen", "unix:" + dir.File("bad.sock")});
  EXPECT_NE(refused.exit_code, 0) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr(with_rule + ":6:1: rules.exceptions_file holds only kind: "
                                                 "Override documents"));

  // Text the rule loader refuses is refused here too, where it is, before yaml-cpp reads it: a
  // byte that is not UTF-8, and text on which yaml-cpp 0.7's LoadAll never returns (this check
  // ran LoadAll on it first and hung at start-up).
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"api_version: kmsguard/v1\nkind: Override\nrule: r\nseverity: \"h\x88\"\n",
            ":4:13: not valid YAML: the byte 0x88 is not UTF-8"},
           {"\n,\n    ", ":2:1: "}}) {
    const std::string file = dir.Write("odd.yaml", text);
    const std::string odd_config =
        dir.Write("odd-config.yaml", "rules:\n  exceptions_file: odd.yaml\n");
    const ProcessResult odd = testing::Run({KMSGUARD_BINARY, "serve", "--config", odd_config,
                                            "--listen", "unix:" + dir.File("odd.sock")});
    EXPECT_NE(odd.exit_code, 0) << Describe(odd);
    EXPECT_THAT(odd.err, HasSubstr(file + says)) << Describe(odd);
  }
  // A directory where the file should be is there, but is no file.
  const std::string directory = dir.File("a-directory.yaml");
  std::filesystem::create_directory(directory);
  const std::string directory_config =
      dir.Write("dir-config.yaml", "rules:\n  exceptions_file: a-directory.yaml\n");
  const ProcessResult not_file =
      testing::Run({KMSGUARD_BINARY, "serve", "--config", directory_config, "--listen",
                    "unix:" + dir.File("dir.sock")});
  EXPECT_NE(not_file.exit_code, 0) << Describe(not_file);
  EXPECT_THAT(not_file.err, HasSubstr(directory + ": not a regular file (rules.exceptions_file)"));
}

// Every mistake of the file in one run, each with its position, not only the first.
TEST(ServeConfigTest, EveryProblemOfTheFileIsReported) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string config = dir.Write(
      "bad.yaml",
      "listen: [1]\nlimits:\n  max_batch_size: 0\n  max_bach: 3\nlog:\n  level: loud\n"
      "shutdown_grace: 3\n");
  const ProcessResult r = testing::Run({KMSGUARD_BINARY, "serve", "--config", config});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(config + ":1:9: listen has the wrong type"));
  EXPECT_THAT(r.err, HasSubstr(config + ":3:19: limits.max_batch_size must be in 1..100000"));
  EXPECT_THAT(r.err, HasSubstr(config + ":4:3: unknown setting \"limits.max_bach\""));
  EXPECT_THAT(r.err, HasSubstr(config + ":6:10: log.level must be info or warn"));
  EXPECT_THAT(r.err, HasSubstr(config + ":7:1: unknown setting \"shutdown_grace\""));

  // A setting given twice, and a second document, are not silently resolved either way.
  const std::string twice = dir.Write("twice.yaml", "log:\n  level: warn\n  level: info\n");
  const ProcessResult t = testing::Run({KMSGUARD_BINARY, "serve", "--config", twice});
  EXPECT_EQ(t.exit_code, 2) << Describe(t);
  EXPECT_THAT(t.err, HasSubstr(twice + ":3:3: setting \"log.level\" is given twice"));
  const std::string two_docs =
      dir.Write("two-docs.yaml", "log:\n  level: warn\n---\nlisten: 0.0.0.0:1\n");
  const ProcessResult d = testing::Run({KMSGUARD_BINARY, "serve", "--config", two_docs});
  EXPECT_EQ(d.exit_code, 2) << Describe(d);
  EXPECT_THAT(d.err, HasSubstr(two_docs + ":4:1: a second YAML document"));

  // A raw NUL is not YAML, and yaml-cpp would read "wa<NUL>rn" as an escape: refused where it is.
  const std::string nul = dir.Write("nul.yaml", std::string("log:\n  level: wa\0rn\n", 20));
  const ProcessResult n = testing::Run({KMSGUARD_BINARY, "serve", "--config", nul});
  EXPECT_EQ(n.exit_code, 2) << Describe(n);
  EXPECT_THAT(n.err,
              HasSubstr(nul + ":2:12: not valid YAML: the raw control character U+0000 (NUL)"));
  // Text yaml-cpp 0.7 would read forever (jbeder/yaml-cpp#1319) is refused at its position.
  const std::string stuck = dir.Write("stuck.yaml", "log:\n  level: warn\n---\n,\n");
  const ProcessResult st = testing::Run({KMSGUARD_BINARY, "serve", "--config", stuck});
  EXPECT_EQ(st.exit_code, 2) << Describe(st);
  EXPECT_THAT(st.err,
              HasSubstr(stuck + ":4:1: not valid YAML: the YAML reader makes no progress"));
}

// A service's config file is read from wherever the service starts: its relative rule
// directories are found beside the file, not in the working directory.
TEST(ServeConfigTest, RelativeRuleDirectoriesAreRelativeToTheFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::filesystem::create_directories(dir.File("conf/my-rules"));
  // The example rule and the library it uses.
  for (const char* file : {"aws-iam-role-trust-anyone.yaml", "library.yaml"}) {
    std::ifstream example(std::string(KMSGUARD_SOURCE_DIR) + "/rules/examples/" + file);
    std::ostringstream text;
    text << example.rdbuf();
    ASSERT_FALSE(text.str().empty()) << file;
    dir.Write(std::string("conf/my-rules/") + file, text.str());
  }
  const std::string config =
      dir.Write("conf/kmsguard.yaml", "rules:\n  dirs: [my-rules]\n  watch_seconds: 0\n");
  const std::string address = "unix:" + dir.File("plugin.sock");
  // The test's working directory is not dir/conf.
  ASSERT_NE(std::filesystem::current_path(), std::filesystem::path(dir.File("conf")));
  Process serve({KMSGUARD_BINARY, "serve", "--config", config, "--listen", address}, dir,
                "serve");
  ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok())
      << Slurp(dir.File("serve.stderr"));
  const v1::GetPluginInfoResponse info = Info(address);
  bool loaded = false;
  for (const auto& r : info.rules()) loaded = loaded || r.id() == "example-iam-role-trust-anyone";
  EXPECT_TRUE(loaded) << info.DebugString();
  serve.Signal(SIGTERM);
  const ProcessResult r = serve.Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
}

TEST(ServeConfigTest, FlagsWinOverTheFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string from_file = "unix:" + dir.File("file.sock");
  const std::string from_flag = "unix:" + dir.File("flag.sock");
  const std::string config =
      dir.Write("c.yaml", "listen: " + from_file + "\nlog:\n  format: json\n");
  Process serve({KMSGUARD_BINARY, "serve", "--config", config, "--listen", from_flag}, dir,
                "serve");
  ASSERT_TRUE(client::PluginClient(from_flag).WaitForServing(std::chrono::seconds(10)).ok())
      << Slurp(dir.File("serve.stderr"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("file.sock")));
  serve.Signal(SIGTERM);
  const ProcessResult r = serve.Wait(std::chrono::seconds(15));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, ::testing::StartsWith("{\"@level\""))
      << "log.format from the file applies where no flag says otherwise";
}

TEST(ServeConfigTest, TheShippedConfigIsValidAndSettingsReachTheManifest) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  // The documented defaults file, with a listen address and a limit overridden by flags/file.
  std::string config = Slurp(std::string(KMSGUARD_SOURCE_DIR) + "/configs/kmsguard.yaml");
  ASSERT_THAT(config, Not(IsEmpty()));
  const std::string shipped = dir.Write("shipped.yaml", config);
  const std::string custom = dir.Write(
      "custom.yaml", "limits:\n  max_batch_size: 77\nrules:\n  params:\n    " +
                         std::string(kRuleId) + ":\n      blocked_actions: [\"kms:Decrypt\"]\n");
  for (const std::string& file : {shipped, custom}) {
    Process serve({KMSGUARD_BINARY, "serve", "--config", file, "--listen", address}, dir,
                  "serve");
    // Closed before SIGTERM: an open connection holds shutdown for the grace period.
    ASSERT_TRUE(client::PluginClient(address).WaitForServing(std::chrono::seconds(10)).ok())
        << Slurp(dir.File("serve.stderr"));
    const v1::GetPluginInfoResponse info = Info(address);
    if (file == custom) {
      EXPECT_EQ(info.limits().max_batch_size(), 77);
      bool overridden = false;
      for (const auto& rule : info.rules()) {
        for (const auto& param : rule.params()) {
          if (rule.id() == kRuleId && param.name() == "blocked_actions") {
            overridden = param.value_json() == "[\"kms:Decrypt\"]";
          }
        }
      }
      EXPECT_TRUE(overridden) << info.DebugString();
    } else {
      EXPECT_EQ(info.limits().max_batch_size(), client::kDefaultMaxBatchSize);
    }
    serve.Signal(SIGTERM);
    const ProcessResult r = serve.Wait(std::chrono::seconds(15));
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
  }
}

// Eight hosts streaming at once for a while: no errors, and memory does not keep growing.
long ThreadCount(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::stol(line.substr(8));
  }
  return -1;
}

// The soak of issue 14: eight hosts stream mixed good and malformed resources for a fixed time,
// some of them abandoning their scan mid-stream. Every scan that runs to its end accounts for
// every resource (each good one evaluated, each malformed one a resource error); the plugin's
// memory and thread count stay flat, and it still answers.
TEST(ServeLoadTest, EightHostsMixedGoodAndMalformedSomeCancellingStayFlat) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string address = "unix:" + dir.File("plugin.sock");
  Process serve({KMSGUARD_BINARY, "serve", "--quiet", "--listen", address}, dir, "serve");
  client::PluginClient probe(address);
  ASSERT_TRUE(probe.WaitForServing(std::chrono::seconds(10)).ok());

  constexpr int kGood = 200;
  std::vector<model::Resource> resources;
  for (int i = 0; i < kGood + 20; ++i) {
    model::Resource r;
    r.id = "arn:aws:iam::111122223333:role/r" + std::to_string(i);
    r.type = "AWS::IAM::Role";
    r.account = "111122223333";
    r.name = "r" + std::to_string(i);
    if (i < kGood) {
      r.document_text =
          R"({"RoleName":"r","Path":"/","RolePolicyList":[{"PolicyName":"p","PolicyDocument":)"
          R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}}],)"
          R"("AttachedManagedPolicies":[]})";
    } else if (i % 3 == 0) {
      r.document_text = R"({"RoleName":"r", "Arn": )";  // not JSON
    } else if (i % 3 == 1) {
      r.document_text = R"({"RoleName":"r","RoleName":"twice"})";  // a repeated key
    } else {
      r.type.clear();  // no type
    }
    resources.push_back(std::move(r));
  }
  constexpr auto kDuration = std::chrono::seconds(16);
  constexpr auto kWarmUp = std::chrono::seconds(4);
  std::atomic<int> scans{0};
  std::atomic<int> abandoned{0};
  std::atomic<int> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> hosts;
  for (int h = 0; h < 8; ++h) {
    hosts.emplace_back([&, h] {
      client::PluginClient host(address);
      for (int round = 0; !stop.load(); ++round) {
        client::ScanOptions options;
        options.batch_size = 50;
        options.timeout = std::chrono::seconds(60);
        // Every other round of half the hosts gives up after a few responses.
        const bool give_up = h % 2 == 1 && round % 2 == 1;
        int responses = 0;
        if (give_up) options.keep_going = [&responses] { return ++responses < 3; };
        absl::StatusOr<client::ScanResult> result = host.Scan(resources, options);
        if (give_up) {
          if (result.status().code() != absl::StatusCode::kCancelled) ++errors;
          ++abandoned;
          continue;
        }
        if (!result.ok() || result->summary.resources_evaluated != kGood ||
            result->summary.resource_errors != 20 || result->summary.fail != kGood) {
          ++errors;
        }
        ++scans;
      }
    });
  }
  std::this_thread::sleep_for(kWarmUp);
  const long rss_after_warm_up = RssKib(serve.pid());
  const long threads_after_warm_up = ThreadCount(serve.pid());
  std::this_thread::sleep_for(kDuration - kWarmUp);
  const long rss_at_end = RssKib(serve.pid());
  stop = true;
  for (auto& t : hosts) t.join();
  const long threads_at_end = ThreadCount(serve.pid());
  EXPECT_EQ(errors.load(), 0);
  // Liveness, not speed: every host finished scans (a loaded sanitizer build is slow).
  EXPECT_GE(scans.load(), 4);
  EXPECT_GE(abandoned.load(), 1);
  ASSERT_GT(rss_after_warm_up, 0);
#if defined(__SANITIZE_ADDRESS__)
  // ASan's quarantine keeps up to 256 MiB of freed memory resident; leaks proper are LSan's job
  // (it runs when serve exits, and a leak makes the exit status non-zero).
  constexpr long kRssGrowthBoundKib = 320 * 1024;
#else
  constexpr long kRssGrowthBoundKib = 32 * 1024;
#endif
  EXPECT_LT(rss_at_end - rss_after_warm_up, kRssGrowthBoundKib)
      << "RSS grew from " << rss_after_warm_up << " KiB to " << rss_at_end << " KiB";
  // gRPC may start a few threads of its own on demand; a leak per call would be hundreds.
  EXPECT_LE(threads_at_end, threads_after_warm_up + 4)
      << threads_after_warm_up << " threads after warm-up, " << threads_at_end << " at the end";
  EXPECT_TRUE(probe.WaitForServing(std::chrono::seconds(5)).ok());
  std::cerr << "soak: " << scans.load() << " complete scans of " << resources.size()
            << " resources and " << abandoned.load() << " abandoned in " << kDuration.count()
            << " s; serve RSS " << rss_after_warm_up << " -> " << rss_at_end << " KiB, threads "
            << threads_after_warm_up << " -> " << threads_at_end << "\n";
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(15)).exit_code, 0);
}

}  // namespace
}  // namespace kmsguard::plugin
