// The streaming writers (FindingWriter): for every format, what the writer writes equals what the
// format's Render function returns, whatever the memory budget (so with findings spilled to
// temporary files and merged back); spill files never outlive their writer; a temporary
// directory that cannot be used is a Finish error, not a crash.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/render/spool.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::HasSubstr;

// The formats whose writers keep findings until Finish and so may spill (table, HTML, SARIF).
const std::vector<std::string> kSpillingFormats = {"table", "html", "sarif"};

std::string Write(const Renderer& renderer, const std::vector<model::Finding>& findings,
                  const model::ScanSummary& summary, const RenderOptions& options,
                  absl::Status* status) {
  std::ostringstream out;
  std::unique_ptr<FindingWriter> writer = renderer.open(out, options);
  for (const model::Finding& f : findings) writer->Write(f);
  *status = writer->Finish(summary);
  return out.str();
}

// A few thousand findings with every status, severity ties and repeated sort keys (status,
// severity, resource id) whose messages differ, so an unstable merge shows; text with newlines,
// markup, quotes and one invalid UTF-8 byte.
std::vector<model::Finding> SyntheticFindings(int n) {
  const std::vector<std::string> rules = {"aws-iam-inline-kms-decrypt-all-keys",
                                          "aws-iam-managed-kms-decrypt-all-keys", "custom-rule-a",
                                          "custom-rule-b"};
  const std::vector<std::string> accounts = {"111122223333", "444455556666", ""};
  const std::vector<model::Status> statuses = {
      model::Status::kFail,  model::Status::kPass, model::Status::kWarning,   model::Status::kPass,
      model::Status::kError, model::Status::kFail, model::Status::kSuppressed};
  std::vector<model::Finding> findings;
  for (int i = 0; i < n; ++i) {
    model::Finding f;
    f.rule_id = rules[i % rules.size()];
    f.rule_version = i % 5 == 0 ? "" : "1.2.0";
    f.title = absl::StrCat("Title of ", f.rule_id);
    f.severity = static_cast<model::Severity>((i / 3) % 5);
    f.status = statuses[(i * 5 + i / 7) % statuses.size()];
    const std::string name = absl::StrCat("principal-", (i * 31) % 40);  // repeated keys
    f.resource_type = i % 2 == 0 ? "AWS::IAM::Role" : "AWS::IAM::User";
    f.resource_name = i % 11 == 0 ? "" : name;
    f.account = accounts[i % accounts.size()];
    f.resource_id = absl::StrCat("arn:aws:iam::", f.account, ":role/", name);
    f.partition = "aws";
    f.sub_key = i % 4 == 0 ? absl::StrCat("policy-", i % 9) : "";
    f.message = absl::StrCat("finding #", i, " <b>\"", name, "\"</b> & more\nsecond line");
    if (i == 17) f.message += " bad byte \xff here";
    f.conditional = i % 6 == 0;
    f.remediation = {absl::StrCat("Scope policy-", i % 9, "."), "1. Open the console.\n2. Edit.",
                     "aws iam put-role-policy --role-name x", "resource \"x\" {}"};
    f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
    for (int e = 0; e < i % 3; ++e) {
      model::Evidence evidence;
      evidence.policy_name = e == 0 ? absl::StrCat("policy-", i % 9)
                                    : "arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser";
      evidence.statement_index = e - 1 + (i % 2);
      evidence.sid = e == 0 ? "Broad" : "";
      evidence.effect = e == 1 && i % 5 == 0 ? "Deny" : "Allow";
      evidence.actions = {"kms:Decrypt", "kms:ReEncryptFrom"};
      evidence.action_patterns = {"kms:*"};
      evidence.resource_patterns = {"*"};
      evidence.condition_keys = i % 6 == 0 ? std::vector<std::string>{"Bool:aws:SecureTransport"}
                                           : std::vector<std::string>{};
      evidence.note = absl::StrCat("note ", i);
      f.evidence.push_back(evidence);
    }
    if (f.status == model::Status::kFail || f.status == model::Status::kWarning) {
      f.exposed_to = {"user/alice", absl::StrCat("other-account ", 100000000000 + i)};
      f.exposure = absl::StrCat("2 principals (", i, ")");
    }
    f.explanation = {absl::StrCat("statement ", i % 3, " allows kms:Decrypt"), "why\tline two"};
    f.source.file = i % 8 == 0 ? "" : "/data/exports/gaad 2024.json";
    f.source.line = i % 3;
    f.source.column = i % 2;
    f.source.json_pointer = absl::StrCat("/RoleDetailList/", i);
    f.source.resource_id = f.resource_id;
    if (f.status == model::Status::kSuppressed) {
      f.suppression = {i % 2 == 0 ? model::Status::kFail : model::Status::kWarning,
                       "accepted <risk>", "team-a", "2030-01-01"};
    }
    findings.push_back(std::move(f));
  }
  return findings;
}

model::ScanSummary SyntheticSummary(const std::vector<model::Finding>& findings) {
  model::ScanSummary s;
  s.resources_received = static_cast<std::int64_t>(findings.size());
  s.resources_evaluated = s.resources_received - 1;
  s.resource_errors = 1;
  for (const model::Finding& f : findings) {
    s.rule_ids.insert(f.rule_id);
    s.resource_types.insert(f.resource_type);
    if (!f.account.empty()) s.accounts.insert(f.account);
  }
  s.regions = {"global"};
  return s;
}

struct Case {
  std::string format;
  std::size_t budget;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.format << " with budget " << c.budget; }

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const std::string& name : RendererNames()) {
    for (std::size_t budget : {RenderOptions().memory_budget_bytes, std::size_t{1},
                               std::size_t{4096}, std::size_t{64 * 1024}}) {
      cases.push_back({name, budget});
    }
  }
  return cases;
}

class WriterTest : public ::testing::TestWithParam<Case> {
 protected:
  void ExpectSameAsRender(const std::vector<model::Finding>& findings,
                          const model::ScanSummary& summary, RenderOptions options) {
    const Renderer* renderer = FindRenderer(GetParam().format);
    ASSERT_NE(renderer, nullptr);
    const std::string expected = renderer->render(findings, summary, options);
    options.memory_budget_bytes = GetParam().budget;
    absl::Status status;
    const std::string written = Write(*renderer, findings, summary, options, &status);
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_FALSE(expected.empty());
    if (written == expected) return;
    std::size_t at = 0;
    while (at < written.size() && at < expected.size() && written[at] == expected[at]) ++at;
    ADD_FAILURE() << "writer output differs from Render at byte " << at << " of " << expected.size()
                  << ":\n  render: " << expected.substr(at >= 80 ? at - 80 : 0, 160)
                  << "\n  writer: " << written.substr(at >= 80 ? at - 80 : 0, 160);
  }
};

TEST_P(WriterTest, BundledExampleMatchesRender) {
  const test::Scan scan = test::ScanBundledExample();
  ASSERT_FALSE(scan.findings.empty());
  ExpectSameAsRender(scan.findings, scan.summary, test::FixedOptions());
}

TEST_P(WriterTest, ThousandsOfFindingsMatchRender) {
  const std::vector<model::Finding> findings = SyntheticFindings(3000);
  ExpectSameAsRender(findings, SyntheticSummary(findings), test::FixedOptions());
}

TEST_P(WriterTest, ListingPassAndExplanationsMatchesRender) {
  const std::vector<model::Finding> findings = SyntheticFindings(700);
  RenderOptions options = test::FixedOptions();
  options.table.show_pass = true;
  options.table.explain = true;
  ExpectSameAsRender(findings, SyntheticSummary(findings), options);
}

TEST_P(WriterTest, NoFindingsMatchesRender) {
  ExpectSameAsRender({}, model::ScanSummary(), test::FixedOptions());
}

INSTANTIATE_TEST_SUITE_P(Formats, WriterTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return absl::StrCat(param_info.param.format, "_budget_",
                                               param_info.param.budget);
                         });

// Sets TMPDIR for one test and puts the old value back.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (old_) {
      setenv("TMPDIR", old_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> old_;
};

std::filesystem::path FreshDirectory() {
  std::string path = (std::filesystem::temp_directory_path() / "kmsguard-writer-test-XXXXXX");
  EXPECT_NE(mkdtemp(path.data()), nullptr);
  return path;
}

struct OpenFile {
  int fd;
  std::string target;  // ".../x (deleted)" once unlinked
};

// Open descriptors of this process that point into `dir`.
std::vector<OpenFile> OpenFilesIn(const std::filesystem::path& dir) {
  std::vector<OpenFile> files;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), error);
    if (!error && target.string().rfind(dir.string() + "/", 0) == 0) {
      files.push_back({std::stoi(entry.path().filename().string()), target.string()});
    }
  }
  return files;
}

TEST(WriterSpillTest, SpillFilesAreUnlinkedAtOnceAndClosedAtTheEnd) {
  const std::filesystem::path dir = FreshDirectory();
  const ScopedTmpdir tmpdir(dir.string());
  const std::vector<model::Finding> findings = SyntheticFindings(500);
  for (const std::string& format : kSpillingFormats) {
    SCOPED_TRACE(format);
    RenderOptions options = test::FixedOptions();
    options.memory_budget_bytes = 2048;
    std::ostringstream out;
    {
      std::unique_ptr<FindingWriter> writer = FindRenderer(format)->open(out, options);
      for (const model::Finding& f : findings) writer->Write(f);
      // Spilled (an open file in dir), yet nothing in dir: unlinked as soon as created.
      const std::vector<OpenFile> open = OpenFilesIn(dir);
      ASSERT_FALSE(open.empty()) << "the writer did not spill";
      for (const OpenFile& file : open) {
        EXPECT_THAT(file.target, HasSubstr("(deleted)"));
        // Not inherited by a plugin process the host starts.
        EXPECT_NE(fcntl(file.fd, F_GETFD) & FD_CLOEXEC, 0) << file.target;
      }
      EXPECT_TRUE(std::filesystem::is_empty(dir));
      EXPECT_TRUE(writer->Finish(SyntheticSummary(findings)).ok());
    }
    EXPECT_TRUE(OpenFilesIn(dir).empty());
    EXPECT_TRUE(std::filesystem::is_empty(dir));
  }
  std::filesystem::remove_all(dir);
}

TEST(WriterSpillTest, UnusableTmpdirIsAFinishErrorNamingTheDirectory) {
  const std::filesystem::path dir = FreshDirectory();
  const std::string missing = (dir / "missing").string();
  const ScopedTmpdir tmpdir(missing);
  const std::vector<model::Finding> findings = SyntheticFindings(200);
  for (const std::string& format : kSpillingFormats) {
    SCOPED_TRACE(format);
    RenderOptions options = test::FixedOptions();
    options.memory_budget_bytes = 1;
    absl::Status status;
    const std::string out =
        Write(*FindRenderer(format), findings, SyntheticSummary(findings), options, &status);
    // Nothing rather than a document that looks complete without its rows (a SARIF log with no
    // results would clear every alert where it is uploaded).
    EXPECT_EQ(out, "");
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
    EXPECT_THAT(status.message(), HasSubstr(missing));
    EXPECT_THAT(status.message(), HasSubstr("No such file or directory"));
  }
  // Within the budget nothing spills, so the directory is never needed.
  for (const std::string& format : kSpillingFormats) {
    absl::Status status;
    Write(*FindRenderer(format), findings, SyntheticSummary(findings), test::FixedOptions(),
          &status);
    EXPECT_TRUE(status.ok()) << format << ": " << status;
  }
  std::filesystem::remove_all(dir);
}

// A spill file that stops growing part way (a full disk; here the file size limit, with SIGXFSZ
// ignored so that the write fails with EFBIG instead of killing the process).
TEST(WriterSpillTest, FailedWriteIsAFinishError) {
  const std::filesystem::path dir = FreshDirectory();
  const ScopedTmpdir tmpdir(dir.string());
  const std::vector<model::Finding> findings = SyntheticFindings(2000);
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit = old_limit;
  limit.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::vector<absl::Status> statuses;
  for (const std::string& format : kSpillingFormats) {
    RenderOptions options = test::FixedOptions();
    options.memory_budget_bytes = 4096;
    absl::Status status;
    const std::string out =
        Write(*FindRenderer(format), findings, SyntheticSummary(findings), options, &status);
    EXPECT_EQ(out, "") << format;
    statuses.push_back(status);
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  std::signal(SIGXFSZ, old_handler);
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    SCOPED_TRACE(kSpillingFormats[i]);
    EXPECT_EQ(statuses[i].code(), absl::StatusCode::kInternal) << statuses[i];
    EXPECT_THAT(statuses[i].message(),
                HasSubstr("cannot write a temporary file in " + dir.string()));
    EXPECT_THAT(statuses[i].message(), HasSubstr("File too large"));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

// The sorted spool on its own: the order of one std::stable_sort over everything, for budgets
// from "one finding per run" to "no spill".
TEST(SortedSpoolTest, GivesTheStableSortOrderForEveryBudget) {
  const std::vector<model::Finding> findings = SyntheticFindings(1000);
  const internal::SortedSpool::Less by_severity = [](const model::Finding& a,
                                                     const model::Finding& b) {
    return a.severity < b.severity;  // five keys for 1000 findings: ties everywhere
  };
  std::vector<model::Finding> sorted = findings;
  std::stable_sort(sorted.begin(), sorted.end(), by_severity);
  for (std::size_t budget :
       {std::size_t{1}, std::size_t{3000}, std::size_t{100000}, std::size_t{1} << 40}) {
    SCOPED_TRACE(budget);
    internal::SortedSpool spool(budget, by_severity);
    for (const model::Finding& f : findings) spool.Add(f);
    std::vector<std::string> messages;
    ASSERT_TRUE(
        spool.ForEach([&](const model::Finding& f) { messages.push_back(f.message); }).ok());
    ASSERT_EQ(messages.size(), sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(messages[i], sorted[i].message) << i;
  }
}

TEST(ArrivalSpoolTest, ReadsBackEveryFieldInOrderAndCanBeReadTwice) {
  const std::vector<model::Finding> findings = SyntheticFindings(300);
  internal::ArrivalSpool spool(1000);
  for (const model::Finding& f : findings) spool.Add(f);
  EXPECT_EQ(spool.count(), findings.size());
  for (int pass = 0; pass < 2; ++pass) {
    std::size_t i = 0;
    ASSERT_TRUE(spool
                    .ForEach([&](const model::Finding& f) {
                      ASSERT_LT(i, findings.size());
                      const model::Finding& want = findings[i++];
                      // Every field survives the spill file (the JSON renderings cover them).
                      EXPECT_EQ(f.message, want.message);
                      EXPECT_EQ(f.severity, want.severity);
                      EXPECT_EQ(f.status, want.status);
                      EXPECT_EQ(f.evidence.size(), want.evidence.size());
                      EXPECT_EQ(f.suppression.status, want.suppression.status);
                      EXPECT_EQ(f.source.ToString(), want.source.ToString());
                      EXPECT_EQ(RenderJson({f}, {}, test::FixedOptions()),
                                RenderJson({want}, {}, test::FixedOptions()));
                    })
                    .ok());
    EXPECT_EQ(i, findings.size());
  }
}

// Every field, each with a value of its own, survives the spill record exactly: bytes that are
// not UTF-8 and NULs included, empty and non-empty lists, every enum value used.
TEST(ArrivalSpoolTest, EveryFieldSurvivesTheSpillRecordByteForByte) {
  model::Finding f;
  const std::string odd("a\xff\x00b\xc3", 5);
  f.rule_id = "rule" + odd;
  f.rule_version = "2.0.1";
  f.title = "title";
  f.severity = model::Severity::kCritical;
  f.status = model::Status::kSuppressed;
  f.resource_id = "arn:aws:iam::111122223333:role/r";
  f.resource_type = "AWS::IAM::Role";
  f.resource_name = "r";
  f.provider = "gcp";
  f.partition = "aws-cn";
  f.account = "project2";
  f.organization = "111222333";
  f.organizational_unit = "1033";
  f.region = "eu";
  f.sub_key = "user:a roles/owner";
  f.message = "message " + odd;
  f.remediation = {"summary", "console", "cli", "terraform"};
  f.compliance = {{"standard", "KMS.2"}, {"other", ""}};
  model::Evidence e;
  e.policy_name = "p";
  e.statement_index = -1;
  e.sid = "sid";
  e.effect = "Deny";
  e.actions = {"kms:Decrypt", ""};
  e.action_patterns = {"kms:*"};
  e.not_action = true;
  e.resource_patterns = {"*"};
  e.not_resource = true;
  e.condition_keys = {"StringEquals:aws:PrincipalTag/x"};
  e.note = "note";
  f.evidence = {e, model::Evidence{}};
  f.conditional = true;
  f.source = {"file.json", 12, 34, "/RoleDetailList/3", "arn:x"};
  f.exposed_to = {"user/alice", odd};
  f.exposure = "exposure";
  f.explanation = {"one", "", "three"};
  f.suppression = {model::Status::kWarning, "reason", "owner", "2099-12-31"};
  f.severity_changes = {{model::Severity::kLow, model::Severity::kHigh, "override"},
                        {model::Severity::kHigh, model::Severity::kCritical, "raised"}};
  internal::ArrivalSpool spool(1);  // everything spills
  spool.Add(f);
  spool.Add(model::Finding{});
  std::vector<model::Finding> back;
  ASSERT_TRUE(spool.ForEach([&](const model::Finding& read) { back.push_back(read); }).ok());
  ASSERT_EQ(back.size(), 2u);
  const model::Finding& g = back[0];
  EXPECT_EQ(g.rule_id, f.rule_id);
  EXPECT_EQ(g.rule_version, f.rule_version);
  EXPECT_EQ(g.title, f.title);
  EXPECT_EQ(g.severity, f.severity);
  EXPECT_EQ(g.status, f.status);
  EXPECT_EQ(g.resource_id, f.resource_id);
  EXPECT_EQ(g.resource_type, f.resource_type);
  EXPECT_EQ(g.resource_name, f.resource_name);
  EXPECT_EQ(g.provider, f.provider);
  EXPECT_EQ(g.partition, f.partition);
  EXPECT_EQ(g.account, f.account);
  EXPECT_EQ(g.organization, f.organization);
  EXPECT_EQ(g.organizational_unit, f.organizational_unit);
  EXPECT_EQ(g.region, f.region);
  EXPECT_EQ(g.sub_key, f.sub_key);
  EXPECT_EQ(g.message, f.message);
  EXPECT_EQ(g.remediation.summary, "summary");
  EXPECT_EQ(g.remediation.console, "console");
  EXPECT_EQ(g.remediation.cli, "cli");
  EXPECT_EQ(g.remediation.terraform, "terraform");
  ASSERT_EQ(g.compliance.size(), 2u);
  EXPECT_EQ(g.compliance[0].standard, "standard");
  EXPECT_EQ(g.compliance[0].control, "KMS.2");
  EXPECT_EQ(g.compliance[1].standard, "other");
  ASSERT_EQ(g.evidence.size(), 2u);
  const model::Evidence& h = g.evidence[0];
  EXPECT_EQ(h.policy_name, "p");
  EXPECT_EQ(h.statement_index, -1);
  EXPECT_EQ(h.sid, "sid");
  EXPECT_EQ(h.effect, "Deny");
  EXPECT_EQ(h.actions, e.actions);
  EXPECT_EQ(h.action_patterns, e.action_patterns);
  EXPECT_TRUE(h.not_action);
  EXPECT_EQ(h.resource_patterns, e.resource_patterns);
  EXPECT_TRUE(h.not_resource);
  EXPECT_EQ(h.condition_keys, e.condition_keys);
  EXPECT_EQ(h.note, "note");
  EXPECT_EQ(g.evidence[1].statement_index, -1);
  EXPECT_FALSE(g.evidence[1].not_action);
  EXPECT_TRUE(g.conditional);
  EXPECT_EQ(g.source.file, "file.json");
  EXPECT_EQ(g.source.line, 12);
  EXPECT_EQ(g.source.column, 34);
  EXPECT_EQ(g.source.json_pointer, "/RoleDetailList/3");
  EXPECT_EQ(g.source.resource_id, "arn:x");
  EXPECT_EQ(g.exposed_to, f.exposed_to);
  EXPECT_EQ(g.exposure, "exposure");
  EXPECT_EQ(g.explanation, f.explanation);
  EXPECT_EQ(g.suppression.status, model::Status::kWarning);
  EXPECT_EQ(g.suppression.reason, "reason");
  EXPECT_EQ(g.suppression.owner, "owner");
  EXPECT_EQ(g.suppression.expires, "2099-12-31");
  ASSERT_EQ(g.severity_changes.size(), 2u);
  EXPECT_EQ(g.severity_changes[0].from, model::Severity::kLow);
  EXPECT_EQ(g.severity_changes[0].to, model::Severity::kHigh);
  EXPECT_EQ(g.severity_changes[1].reason, "raised");
  // A finding with every field at its default reads back as the default, not as the one before.
  const model::Finding& empty = back[1];
  EXPECT_EQ(empty.provider, "aws");
  EXPECT_EQ(empty.region, "global");
  EXPECT_TRUE(empty.evidence.empty());
  EXPECT_TRUE(empty.explanation.empty());
  EXPECT_EQ(empty.status, model::Status::kPass);
  EXPECT_EQ(empty.source.line, 0);
}

}  // namespace
}  // namespace kmsguard::render
