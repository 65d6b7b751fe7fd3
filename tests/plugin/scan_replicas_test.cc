// `kmsguard scan --plugin TARGET` over several running replicas (loopback only): the same report
// as a local scan whichever replica answered, every finding exactly once when a replica is killed
// or drained mid-scan, no batch for a NOT_SERVING replica, a clear failure when none is left, and
// mTLS between host and replicas.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "plugin/plugin_server.h"
#include "plugin/rule_loader.h"
#include "tests/bench/snapshot_generator.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `kmsguard serve` on a free loopback port, named `id` in the calls' metadata.
class Replica {
 public:
  Replica(const testing::TempDir& dir, const std::string& id,
          const std::vector<std::string>& extra = {})
      : dir_(dir), id_(id) {
    std::vector<std::string> args = {KMSGUARD_BINARY, "serve", "--listen",         "127.0.0.1:0",
                                     "--replica-id",  id,      "--shutdown-grace", "5"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<testing::Process>(args, dir, id);
    // The port it got is in its log line "listening on 127.0.0.1:PORT".
    const std::regex listening("listening on (127\\.0\\.0\\.1:[0-9]+)");
    for (int i = 0; i < 300 && address_.empty(); ++i) {
      std::smatch match;
      const std::string log = testing::ReadFile(dir.File(id + ".stderr"));
      if (std::regex_search(log, match, listening))
        address_ = match[1];
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const std::string& address() const { return address_; }
  void Signal(int signal_number) const { process_->Signal(signal_number); }
  testing::ProcessResult Wait() { return process_->Wait(std::chrono::seconds(30)); }
  std::string Log() const { return testing::ReadFile(dir_.File(id_ + ".stderr")); }

 private:
  const testing::TempDir& dir_;
  std::string id_;
  std::unique_ptr<testing::Process> process_;
  std::string address_;
};

std::string Target(const std::vector<std::string>& addresses) {
  std::string target = "ipv4:";
  for (const std::string& address : addresses) {
    target += (target.size() > 5 ? "," : "") + address;
  }
  return target;
}

// Three accounts, one export each, of about `bytes` bytes each.
std::vector<std::string> ThreeAccounts(const testing::TempDir& dir, std::uint64_t bytes) {
  std::vector<std::string> files;
  int n = 0;
  for (const char* account : {"111122223333", "444455556666", "777788889999"}) {
    const std::string file = dir.File("account-" + std::to_string(++n) + ".json");
    std::ofstream out(file, std::ios::binary);
    bench::GeneratorOptions options;
    options.seed = static_cast<std::uint64_t>(n);
    options.account = account;
    options.target_bytes = bytes;
    bench::GenerateAuthorizationDetails(options, out);
    files.push_back(file);
  }
  return files;
}

// JSONL output without the header line's time (the one field allowed to differ). A plain search,
// not std::regex: outputs are megabytes, and std::regex crawls on them in sanitizer builds.
std::string WithoutTimestamps(std::string jsonl) {
  constexpr std::string_view kField = "\"generated_at\":\"";
  for (std::size_t at = jsonl.find(kField); at != std::string::npos;
       at = jsonl.find(kField, at + kField.size())) {
    const std::size_t start = at + kField.size();
    const std::size_t end = jsonl.find('"', start);
    if (end == std::string::npos) break;
    jsonl.erase(start, end - start);
  }
  return jsonl;
}

// Finding uid -> how many times it appears (the last line is the summary, which has none).
std::map<std::string, int> UidCounts(const std::string& jsonl) {
  std::map<std::string, int> counts;
  for (const std::string& line : testing::Lines(jsonl)) {
    const nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_object() && value.contains("uid")) ++counts[value["uid"].get<std::string>()];
  }
  return counts;
}

testing::ProcessResult Scan(const std::vector<std::string>& files,
                            const std::vector<std::string>& flags) {
  std::vector<std::string> args = {KMSGUARD_BINARY, "scan", "--format", "jsonl"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), files.begin(), files.end());
  return testing::Run(args);
}

// `scan --format jsonl --plugin TARGET FILES` started in the background (output in dir's
// scan.stdout / scan.stderr), returned once its first findings have come out (or after 5 s).
std::unique_ptr<testing::Process> StartScanOverReplicas(const testing::TempDir& dir,
                                                        const std::vector<std::string>& files,
                                                        const std::string& target, int parallel) {
  std::vector<std::string> args = {KMSGUARD_BINARY, "scan", "--format",   "jsonl",
                                   "--plugin",      target, "--parallel", std::to_string(parallel)};
  args.insert(args.end(), files.begin(), files.end());
  auto scan = std::make_unique<testing::Process>(args, dir, "scan");
  const std::string out = dir.File("scan.stdout");
  for (int i = 0; i < 1000; ++i) {
    std::error_code ignored;
    if (std::filesystem::file_size(out, ignored) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return scan;
}

TEST(ScanReplicasTest, ThreeReplicasGiveTheLocalReportAndEveryOneIsUsed) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::vector<std::string> files = ThreeAccounts(dir, 256u << 10);
  Replica r1(dir, "r1"), r2(dir, "r2"), r3(dir, "r3");
  ASSERT_FALSE(r1.address().empty() || r2.address().empty() || r3.address().empty())
      << r1.Log() << r2.Log() << r3.Log();
  const testing::ProcessResult local = Scan(files, {});
  const std::string target = Target({r1.address(), r2.address(), r3.address()});
  const testing::ProcessResult remote = Scan(files, {"--plugin", target, "--parallel", "3"});
  ASSERT_EQ(local.exit_code, 1) << testing::DescribeRun(local);
  EXPECT_EQ(remote.exit_code, local.exit_code) << testing::DescribeRun(remote);
  EXPECT_GT(UidCounts(local.out).size(), 100u);
  EXPECT_EQ(WithoutTimestamps(remote.out), WithoutTimestamps(local.out));
  for (const char* id : {"r1", "r2", "r3"}) {
    // "replica r1 (ipv4:127.0.0.1:PORT): N batch(es)" with N > 0.
    EXPECT_TRUE(std::regex_search(remote.err, std::regex(std::string("replica ") + id +
                                                         " \\(ipv4:[^)]*\\): [1-9][0-9]* batch")))
        << id << " answered nothing:\n"
        << remote.err;
  }
  // The three share one rule set, named by its version.
  EXPECT_TRUE(std::regex_search(remote.err, std::regex("rules [0-9a-f]{12} \\("))) << remote.err;
}

// Google Cloud (and Azure) resources are judged over the scan's joined picture: a role defined
// in one file, bound in another, the project id in a third line. The forseti pair is 155
// resources, more than one chunk of 100: before the joined resources were sent in one call, each
// replica joined its own chunk and the owners' grants on projects named by number were lost.
TEST(ScanReplicasTest, GoogleCloudExportsOverReplicasFindWhatTheLocalScanFinds) {
  KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES();
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string samples = std::string(KMSGUARD_SHARED_DIR) + "/samples/multicloud/";
  const std::vector<std::string> files = {samples + "gcp-cai-iam-policies.forseti.ndjson",
                                          samples + "gcp-cai-resources.forseti.ndjson"};
  Replica r1(dir, "r1"), r2(dir, "r2");
  ASSERT_FALSE(r1.address().empty() || r2.address().empty()) << r1.Log() << r2.Log();
  const testing::ProcessResult local = Scan(files, {});
  const testing::ProcessResult remote =
      Scan(files, {"--plugin", Target({r1.address(), r2.address()}), "--parallel", "2"});
  ASSERT_EQ(local.exit_code, 1) << testing::DescribeRun(local);
  EXPECT_EQ(remote.exit_code, 1) << testing::DescribeRun(remote);
  const auto failing = [](const std::string& jsonl) {
    std::set<std::string> uids;
    for (const std::string& line : testing::Lines(jsonl)) {
      const nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
      if (value.is_object() && value.value("status", "") == "STATUS_FAIL" &&
          value.value("rule_id", "") == "gcp-kms-decrypt-broad-scope") {
        uids.insert(value.value("uid", ""));
      }
    }
    return uids;
  };
  EXPECT_EQ(failing(local.out).size(), 8u) << local.err;
  EXPECT_EQ(failing(remote.out), failing(local.out)) << remote.err;
}

// A replica SIGKILLed and another drained (SIGTERM) while the scan runs: the batches they held
// are answered by the one left, and the report is the local one, every finding once.
TEST(ScanReplicasTest, AReplicaKilledAndOneDrainedMidScanLoseAndDuplicateNothing) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
#ifdef __SANITIZE_ADDRESS__
  const std::vector<std::string> files = ThreeAccounts(dir, 512u << 10);
#else
  const std::vector<std::string> files = ThreeAccounts(dir, 2u << 20);
#endif
  const testing::ProcessResult local = Scan(files, {});
  ASSERT_EQ(local.exit_code, 1) << testing::DescribeRun(local);

  Replica killed(dir, "killed"), drained(dir, "drained"), kept(dir, "kept");
  ASSERT_FALSE(killed.address().empty() || drained.address().empty() || kept.address().empty());
  // Mid-scan: findings have started to come out, and the scan still runs.
  std::unique_ptr<testing::Process> started = StartScanOverReplicas(
      dir, files, Target({killed.address(), drained.address(), kept.address()}), 6);
  testing::Process& scan = *started;
  siginfo_t state{};
  // WNOWAIT: looked at, not reaped (Process::Wait reaps it).
  const bool still_running =
      waitid(P_PID, static_cast<id_t>(scan.pid()), &state, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      state.si_pid == 0;
  killed.Signal(SIGKILL);
  drained.Signal(SIGTERM);
  const testing::ProcessResult remote = scan.Wait(std::chrono::seconds(120));
  ASSERT_TRUE(still_running) << "the scan ended before the replicas were stopped";

  EXPECT_EQ(remote.exit_code, local.exit_code) << testing::DescribeRun(remote);
  EXPECT_EQ(WithoutTimestamps(remote.out), WithoutTimestamps(local.out));
  const std::map<std::string, int> counts = UidCounts(remote.out);
  EXPECT_EQ(counts, UidCounts(local.out));
  for (const auto& [uid, count] : counts) EXPECT_EQ(count, 1) << uid;
  // A call that broke with the killed replica had its batch sent again to another one. The kill
  // may land between two calls (none in flight), so a resend is required whenever the summary
  // shows failed calls, not always (that was flaky under load).
  if (remote.err.find("failed call(s)") != std::string::npos) {
    EXPECT_THAT(remote.err, HasSubstr("sent again after their replica failed")) << remote.err;
  }
  // The drained one finished its streams and exited cleanly.
  const testing::ProcessResult drained_exit = drained.Wait();
  EXPECT_EQ(drained_exit.exit_code, 0) << drained_exit.err;
}

// A rule that fails every resource, its message naming the generation of the rule set.
std::string GenerationRule(int generation) {
  return "api_version: kmsguard/v1\nkind: Rule\nid: custom-generation\nversion: " +
         std::to_string(generation) +
         ".0.0\ntitle: t\ndescription: d\nseverity: low\n"
         "resource_types: [AWS::IAM::User, AWS::IAM::Group, AWS::IAM::Role, AWS::IAM::Policy]\n"
         "violation:\n  not: {equals: {path: $.type, value: none}}\n"
         "message: \"generation " +
         std::to_string(generation) + "\"\nremediation: {summary: none}\n";
}

// Issue 19: each replica's rules are rewritten and reloaded (SIGHUP) in turn while a scan runs
// over the three. Every batch (one call, 100 resources) must have been evaluated by one rule set,
// the report must be the local one but for the generation, and the summary must name both
// versions of the rule set.
TEST(ScanReplicasTest, ARollingRuleReloadAnswersEachBatchWithOneRuleSet) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
#ifdef __SANITIZE_ADDRESS__
  const std::vector<std::string> files = ThreeAccounts(dir, 512u << 10);
#else
  const std::vector<std::string> files = ThreeAccounts(dir, 2u << 20);
#endif
  std::vector<std::string> rule_dirs;
  for (const char* id : {"r1", "r2", "r3"}) {
    rule_dirs.push_back(dir.File(std::string("rules-") + id));
    std::filesystem::create_directory(rule_dirs.back());
    std::ofstream(rule_dirs.back() + "/generation.yaml") << GenerationRule(1);
  }
  const testing::ProcessResult local = Scan(files, {"--rules", rule_dirs[0]});
  ASSERT_EQ(local.exit_code, 1) << testing::DescribeRun(local);
  ASSERT_THAT(local.out, HasSubstr("generation 1"));

  Replica r1(dir, "r1", {"--rules", rule_dirs[0]}), r2(dir, "r2", {"--rules", rule_dirs[1]}),
      r3(dir, "r3", {"--rules", rule_dirs[2]});
  ASSERT_FALSE(r1.address().empty() || r2.address().empty() || r3.address().empty());
  std::unique_ptr<testing::Process> scan =
      StartScanOverReplicas(dir, files, Target({r1.address(), r2.address(), r3.address()}), 3);
  // One replica after the other: rewrite (atomically, as a ConfigMap update does), reload, and
  // wait until it says it reloaded.
  Replica* replicas[] = {&r1, &r2, &r3};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string rule = rule_dirs[i] + "/generation.yaml";
    std::ofstream(rule + ".new") << GenerationRule(2);
    std::filesystem::rename(rule + ".new", rule);
    replicas[i]->Signal(SIGHUP);
    for (int wait = 0; wait < 2000; ++wait) {
      if (replicas[i]->Log().find("rules reloaded") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_THAT(replicas[i]->Log(), HasSubstr("rules reloaded"));
  }
  const testing::ProcessResult remote = scan->Wait(std::chrono::seconds(120));
  EXPECT_EQ(remote.exit_code, local.exit_code) << testing::DescribeRun(remote);

  // The custom rule's findings, in order: one per resource, so the k-th is in batch k / 100.
  std::map<std::size_t, std::set<std::string>> generations_by_batch;
  std::size_t index = 0;
  for (const std::string& line : testing::Lines(remote.out)) {
    const nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
    if (!value.is_object() || value.value("rule_id", "") != "custom-generation") continue;
    generations_by_batch[index++ / 100].insert(value.value("message", ""));
  }
  // One finding per resource, or the batches above are not the calls' batches.
  const nlohmann::json summary =
      nlohmann::json::parse(testing::Lines(remote.out).back(), nullptr, false);
  ASSERT_TRUE(summary.is_object() && summary.contains("summary"))
      << testing::Lines(remote.out).back();
  EXPECT_EQ(index, summary["summary"].value("resources_evaluated", std::size_t{0}));
  EXPECT_GT(generations_by_batch.size(), 10u);
  std::set<std::string> seen;
  for (const auto& [batch, generations] : generations_by_batch) {
    EXPECT_EQ(generations.size(), 1u) << "batch " << batch << " mixes rule sets";
    seen.insert(generations.begin(), generations.end());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"generation 1", "generation 2"}))
      << "the reloads did not fall within the scan";

  // Read as generation 1, the report is the local one, every finding once.
  const std::string as_first = absl::StrReplaceAll(
      remote.out, {{"generation 2", "generation 1"}, {"\"2.0.0\"", "\"1.0.0\""}});
  EXPECT_EQ(WithoutTimestamps(as_first), WithoutTimestamps(local.out));
  for (const auto& [uid, count] : UidCounts(remote.out)) EXPECT_EQ(count, 1) << uid;
  // The summary names the two rule-set versions that answered.
  std::set<std::string> versions;
  const std::regex version("rules ([0-9a-f]{12}) \\(");
  for (std::sregex_iterator it(remote.err.begin(), remote.err.end(), version), end; it != end;
       ++it) {
    versions.insert((*it)[1]);
  }
  EXPECT_EQ(versions.size(), 2u) << remote.err;
}

// A replica whose health is NOT_SERVING (no rules: its Evaluate calls would fail with
// FAILED_PRECONDITION, which is not sent again) is kept out by the channel's health checks.
TEST(ScanReplicasTest, ANotServingReplicaGetsNoBatches) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::vector<std::string> files = ThreeAccounts(dir, 128u << 10);
  plugin::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.replica_id = "not-serving";
  absl::StatusOr<std::unique_ptr<plugin::PluginServer>> idle = plugin::PluginServer::Start(options);
  ASSERT_TRUE(idle.ok()) << idle.status();  // no rule set installed: NOT_SERVING
  Replica r1(dir, "r1"), r2(dir, "r2");
  ASSERT_FALSE(r1.address().empty() || r2.address().empty());
  const testing::ProcessResult local = Scan(files, {});
  const testing::ProcessResult remote = Scan(
      files,
      {"--plugin", Target({(*idle)->address(), r1.address(), r2.address()}), "--parallel", "3"});
  EXPECT_EQ(remote.exit_code, local.exit_code) << testing::DescribeRun(remote);
  EXPECT_EQ(WithoutTimestamps(remote.out), WithoutTimestamps(local.out));
  EXPECT_THAT(remote.err, Not(HasSubstr("not-serving"))) << remote.err;
  EXPECT_THAT(remote.err, HasSubstr("over 2 replica(s)")) << remote.err;
}

TEST(ScanReplicasTest, NoReplicaLeftIsAClearFailureNamingTheTarget) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::vector<std::string> files = ThreeAccounts(dir, 64u << 10);
  std::string target;
  {
    Replica r1(dir, "r1"), r2(dir, "r2");
    ASSERT_FALSE(r1.address().empty() || r2.address().empty());
    target = Target({r1.address(), r2.address()});
    r1.Signal(SIGKILL);
    r2.Signal(SIGKILL);
    r1.Wait();
    r2.Wait();
  }
  const testing::ProcessResult r = Scan(files, {"--plugin", target, "--plugin-retry-seconds", "1"});
  EXPECT_EQ(r.exit_code, 2) << testing::DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("no replica of the plugin at " + target)) << r.err;
  EXPECT_EQ(r.out, "");  // no report at all, rather than one that looks complete
}

// With TLS, a list of addresses has no one name to check certificates against (gRPC would use the
// whole list): the scan says --tls-server-name is needed, at once, before reading anything.
TEST(ScanReplicasTest, AnAddressListWithTlsAsksForTheServerName) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::vector<std::string> files = ThreeAccounts(dir, 4u << 10);
  const testing::ProcessResult r =
      Scan(files, {"--plugin", "ipv4:127.0.0.1:1,127.0.0.1:2", "--tls"});
  EXPECT_EQ(r.exit_code, 2) << testing::DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("give --tls-server-name")) << r.err;
  EXPECT_EQ(r.out, "");
  // One address, or a name given: no such complaint (the scan then fails to connect).
  const testing::ProcessResult named =
      Scan(files, {"--plugin", "ipv4:127.0.0.1:1,127.0.0.1:2", "--tls", "--tls-server-name",
                   "localhost", "--plugin-retry-seconds", "0"});
  EXPECT_THAT(named.err, Not(HasSubstr("give --tls-server-name"))) << named.err;
}

// TLS material that cannot work is named at once, as serve names it, rather than seen by gRPC as
// "no connection" after the retry time: a file that is no certificate, a key of another one.
TEST(ScanReplicasTest, TlsFilesThatCannotWorkAreNamedAtOnce) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(testing::MakeTestCertificates(dir.path()));
  const std::vector<std::string> files = ThreeAccounts(dir, 4u << 10);
  const std::string not_pem = dir.Write("not.pem", "not a certificate\n");
  const testing::ProcessResult bad_ca =
      Scan(files, {"--plugin", "127.0.0.1:1", "--tls-ca", not_pem});
  EXPECT_EQ(bad_ca.exit_code, 2) << testing::DescribeRun(bad_ca);
  EXPECT_THAT(bad_ca.err, HasSubstr("TLS CA file " + not_pem + " holds no PEM certificate"));
  EXPECT_EQ(bad_ca.out, "");
  const testing::ProcessResult mismatched =
      Scan(files, {"--plugin", "127.0.0.1:1", "--tls-cert", dir.File("client.pem"), "--tls-key",
                   dir.File("server.key")});
  EXPECT_EQ(mismatched.exit_code, 2) << testing::DescribeRun(mismatched);
  EXPECT_THAT(mismatched.err,
              HasSubstr("does not match the certificate in " + dir.File("client.pem")));
}

TEST(ScanReplicasTest, MutualTlsReplicasServeAHostWithACertificateAndRefuseOneWithout) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(testing::MakeTestCertificates(dir.path()))
      << "openssl could not make the test certificates";
  const std::vector<std::string> files = ThreeAccounts(dir, 64u << 10);
  const std::vector<std::string> tls = {"--tls-cert",      dir.File("server.pem"),
                                        "--tls-key",       dir.File("server.key"),
                                        "--tls-client-ca", dir.File("ca.pem")};
  Replica r1(dir, "r1", tls), r2(dir, "r2", tls);
  ASSERT_FALSE(r1.address().empty() || r2.address().empty()) << r1.Log();
  const std::string target = Target({r1.address(), r2.address()});
  const testing::ProcessResult local = Scan(files, {});
  const testing::ProcessResult with_cert =
      Scan(files, {"--plugin", target, "--tls-ca", dir.File("ca.pem"), "--tls-cert",
                   dir.File("client.pem"), "--tls-key", dir.File("client.key"), "--tls-server-name",
                   "localhost"});
  EXPECT_EQ(with_cert.exit_code, local.exit_code) << testing::DescribeRun(with_cert);
  EXPECT_EQ(WithoutTimestamps(with_cert.out), WithoutTimestamps(local.out));

  const testing::ProcessResult without_cert =
      Scan(files, {"--plugin", target, "--tls-ca", dir.File("ca.pem"), "--tls-server-name",
                   "localhost", "--plugin-retry-seconds", "1"});
  EXPECT_EQ(without_cert.exit_code, 2) << testing::DescribeRun(without_cert);
  EXPECT_THAT(without_cert.err, HasSubstr("no replica of the plugin at " + target));
  // Why, and what to change: the channel's own error, and the flags for this case.
  EXPECT_THAT(without_cert.err, HasSubstr("Socket closed"));
  EXPECT_THAT(without_cert.err, HasSubstr("give --tls-cert and --tls-key"));
  EXPECT_EQ(without_cert.out, "");
  // Plaintext to a TLS replica is refused too, and told to speak TLS.
  const testing::ProcessResult plaintext =
      Scan(files, {"--plugin", target, "--plugin-retry-seconds", "1"});
  EXPECT_EQ(plaintext.exit_code, 2) << testing::DescribeRun(plaintext);
  EXPECT_THAT(plaintext.err, HasSubstr("give --tls-ca"));
}

// "No connection" said nothing of why: the channel's own reason is named for a port nobody
// listens on and a socket file that does not exist, with no TLS hint for either.
TEST(ScanReplicasTest, NoConnectionNamesTheChannelsReason) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::vector<std::string> files = ThreeAccounts(dir, 16u << 10);
  const struct {
    std::string target;
    const char* reason;
  } cases[] = {{"unix:" + dir.File("absent.sock"), "No such file or directory"},
               {"ipv4:127.0.0.1:1", "Connection refused"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    const testing::ProcessResult r =
        Scan(files, {"--plugin", c.target, "--plugin-retry-seconds", "1"});
    EXPECT_EQ(r.exit_code, 2) << testing::DescribeRun(r);
    EXPECT_THAT(r.err, HasSubstr("no replica of the plugin at " + c.target));
    EXPECT_THAT(r.err, HasSubstr(c.reason));
    EXPECT_THAT(r.err, Not(HasSubstr("--tls")));
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace kmsguard
