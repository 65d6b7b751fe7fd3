// What `kmsguard scan` does with awkward inputs: the same resource twice, long minified lines,
// terminal control characters, broken documents named where they are in the user's file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/gzip_fixture.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::DescribeRun;

using testing::Kmsguard;

constexpr char kDecryptAll[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]})";

nlohmann::json User(const std::string& name, const nlohmann::json& document) {
  return {{"UserName", name},
          {"Arn", "arn:aws:iam::111122223333:user/" + name},
          {"UserPolicyList", {{{"PolicyName", "p"}, {"PolicyDocument", document}}}}};
}

TEST(ScanInputHygieneTest, TheSameResourceInTwoFilesIsEvaluatedOnceWithAWarning) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const nlohmann::json snapshot = {
      {"UserDetailList", {User("alice", nlohmann::json::parse(kDecryptAll))}}};
  const std::string a = dir.Write("a.json", snapshot.dump());
  const std::string b = dir.Write("b.json", snapshot.dump());
  const ProcessResult r = Kmsguard({"scan", "--format", "json", a, b});
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  const nlohmann::json out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << DescribeRun(r);
  int alice_fail = 0;
  for (const auto& f : out.value("findings", nlohmann::json::array())) {
    if (f.value("status", "") == "STATUS_FAIL" && f.value("resource_name", "") == "alice") ++alice_fail;
  }
  EXPECT_EQ(alice_fail, 1) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("[duplicate_resource]"));
  EXPECT_THAT(r.err, HasSubstr(b + "#/UserDetailList/0"));
  EXPECT_THAT(r.err, HasSubstr("was already read from " + a + "; this copy is ignored"));
}

// Azure ids compare case-insensitively: one vault exported with its id in two cases is one
// resource, a duplicate (a warning), and one finding, never two findings under one uid.
TEST(ScanInputHygieneTest, AnAzureIdInTwoCasesIsOneResource) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string vault =
      R"({"id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv4", "name": "kv4", "type": "Microsoft.KeyVault/vaults", "location": "westeurope", "properties": {"tenantId": "aaaaaaaa-0000-0000-0000-000000000000", "accessPolicies": [{"tenantId": "aaaaaaaa-0000-0000-0000-000000000000", "objectId": "abcdef00-0000-0000-0000-000000000000", "permissions": {"keys": ["decrypt"]}}]}})";
  const std::string a = dir.Write("a.json", vault);
  const std::string id =
      "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg1/providers/"
      "Microsoft.KeyVault/vaults/kv4";
  const std::string b =
      dir.Write("b.json", absl::StrReplaceAll(vault, {{id, absl::AsciiStrToUpper(id)}}));
  const ProcessResult r = Kmsguard({"scan", "--format", "jsonl", a, b});
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("[duplicate_resource]"));
  EXPECT_THAT(r.err, Not(HasSubstr("different document")));
  int fails = 0;
  for (const absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    const nlohmann::json f = nlohmann::json::parse(line, nullptr, false);
    if (f.value("status", "") == "STATUS_FAIL") ++fails;
  }
  EXPECT_EQ(fails, 1) << r.out;
}

// Two exports taken at different times: the copy that is ignored may be the one that grants, so a
// copy with a different document is an error (exit 2 when nothing fails), not a quiet PASS. The
// same principal at another place in another file is still the same copy (a warning).
TEST(ScanInputHygieneTest, ACopyWithADifferentDocumentIsAnError) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const nlohmann::json benign = nlohmann::json::parse(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]})");
  const std::string old_export =
      dir.Write("old.json", nlohmann::json{{"UserDetailList", {User("alice", benign)}}}.dump());
  const std::string new_export = dir.Write(
      "new.json",
      nlohmann::json{{"UserDetailList", {User("alice", nlohmann::json::parse(kDecryptAll))}}}
          .dump());
  const ProcessResult r = Kmsguard({"scan", old_export, new_export});
  EXPECT_EQ(r.exit_code, 2) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr(new_export + "#/UserDetailList/0 ("));
  EXPECT_THAT(r.err, HasSubstr("error: AWS::IAM::User arn:aws:iam::111122223333:user/alice "
                               "appears again with a different document (the copy in " +
                               old_export + " is the one evaluated)"));

  const std::string moved = dir.Write(
      "moved.json",
      nlohmann::json{{"UserDetailList", {User("bob", benign), User("alice", benign)}}}.dump());
  const ProcessResult same = Kmsguard({"scan", old_export, moved});
  EXPECT_EQ(same.exit_code, 0) << DescribeRun(same);
  EXPECT_THAT(same.err, HasSubstr("was already read from " + old_export));
  EXPECT_THAT(same.err, Not(HasSubstr("different document")));
}

TEST(ScanInputHygieneTest, TheSameResourceTwiceInOneFileIsEvaluatedOnceWithAWarning) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const nlohmann::json alice = User("alice", nlohmann::json::parse(kDecryptAll));
  const std::string file =
      dir.Write("twice.json", nlohmann::json{{"UserDetailList", {alice, alice}}}.dump());
  const ProcessResult r = Kmsguard({"scan", "--format", "jsonl", file});
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  int alice_fail = 0;
  for (std::size_t at = 0; at < r.out.size();) {
    const std::size_t end = r.out.find('\n', at);
    const nlohmann::json line = nlohmann::json::parse(r.out.substr(at, end - at), nullptr, false);
    if (line.is_object() && line.value("status", "") == "STATUS_FAIL") ++alice_fail;
    at = end == std::string::npos ? r.out.size() : end + 1;
  }
  EXPECT_EQ(alice_fail, 1) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr(file + "#/UserDetailList/1"));
  EXPECT_THAT(r.err, HasSubstr("appears earlier in this file; this copy is ignored"));
}

TEST(ScanInputHygieneTest, ABrokenInlinePolicyIsNamedByItsPlaceInTheFile) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const nlohmann::json broken = {{"Statement", {{{"Effect", "Allow"}, {"Action", 5}}}}};
  const nlohmann::json snapshot = {
      {"UserDetailList", {User("ok", nlohmann::json::parse(kDecryptAll)), User("bad", broken)}}};
  const std::string file = dir.Write("s.json", snapshot.dump());
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 3) << DescribeRun(r);  // "ok" still fails: the broken one costs itself
  EXPECT_THAT(r.err, HasSubstr(file + "#/UserDetailList/1/UserPolicyList/0/PolicyDocument"))
      << DescribeRun(r);
  EXPECT_THAT(r.err, Not(HasSubstr("/inline_policies/"))) << "the normalized shape leaked";
  EXPECT_THAT(r.err, Not(HasSubstr("could not be evaluated: user bad could not be evaluated")));
}

TEST(ScanInputHygieneTest, ALongMinifiedLineIsQuotedAsAWindowNotWhole) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  nlohmann::json users = nlohmann::json::array();
  for (int i = 0; i < 2000; ++i) users.push_back(User("u" + std::to_string(i), "{}"));
  std::string text = nlohmann::json{{"UserDetailList", users}}.dump();
  // A syntax error between two entries in the middle of a ~200 KB line.
  text.insert(text.find(",{", text.size() / 2) + 1, "@");
  const std::string file = dir.Write("minified.json", text);
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 2) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr(file + ":1:"));
  EXPECT_LT(r.err.size(), 2000u) << "the whole line was printed";
  EXPECT_THAT(r.err, HasSubstr("@"));
}

TEST(ScanInputHygieneTest, ControlCharactersInNamesNeverReachTheTerminal) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string evil = "x\x1b]0;owned\x07\x1b[2J";
  nlohmann::json user = User(evil, nlohmann::json::parse(kDecryptAll));
  user["Arn"] = "arn:aws:iam::111122223333:user/evil";
  const std::string file = dir.Write("s.json", nlohmann::json{{"UserDetailList", {user}}}.dump());
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b"))) << DescribeRun(r);
  EXPECT_THAT(r.out, Not(HasSubstr("\x07")));
  EXPECT_THAT(r.out, HasSubstr("x\\x1b]0;owned\\x07\\x1b[2J"));
}

// nlohmann reports a number too large for a double as out_of_range, not as a parse error; it
// once escaped every handler and aborted the scan of every file ("internal error").
TEST(ScanInputHygieneTest, ANumberTooLargeForADoubleCostsOnlyItsFile) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string bad = dir.Write(
      "bignum.json", "{\"UserDetailList\": [], \"X\": 1e999999, \"RoleDetailList\": []}\n");
  const nlohmann::json good = {
      {"UserDetailList", {User("alice", nlohmann::json::parse(kDecryptAll))}}};
  const std::string ok = dir.Write("good.json", good.dump());
  const ProcessResult r = Kmsguard({"scan", bad, ok});
  EXPECT_EQ(r.exit_code, 3) << DescribeRun(r);  // alice still FAILs; bad was not read
  EXPECT_THAT(r.out, HasSubstr("user/alice")) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr(bad + ":1:")) << DescribeRun(r);
  EXPECT_THAT(r.err, Not(HasSubstr("internal error")));
}

// Found in a user trial: a second, empty "UserPolicyList" in an entry hid the first (and its
// kms:Decrypt on "*"), and the scan exited 0. A repeated key makes the entry an error.
TEST(ScanInputHygieneTest, ARepeatedKeyInAnEntryIsAnErrorNotAPass) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write(
      "dup.json",
      R"({"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u",
           "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement":
             [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}],
           "UserPolicyList": []}]})");
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 2) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr(file + "#/UserDetailList/0")) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("repeats the key \"UserPolicyList\""));
}

// A principal whose finding would exceed gRPC's message limit (here 60 policies, each granting
// kms:Decrypt on "*" beside 30 patterns of 3,000 characters: over 20 MB of evidence, explanation
// and rewritten policies) once failed the whole response, and with it every other finding.
TEST(ScanInputHygieneTest, AnOversizedFindingIsShortenedAndTheOthersAreKept) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  nlohmann::json big = User("big", nullptr);
  big["UserPolicyList"] = nlohmann::json::array();
  for (int p = 0; p < 60; ++p) {
    nlohmann::json resources = {"*"};
    for (int r = 0; r < 30; ++r) {
      resources.push_back("arn:aws:s3:::" + std::string(3000, static_cast<char>('a' + r % 26)) +
                          std::to_string(p));
    }
    big["UserPolicyList"].push_back(
        {{"PolicyName", "p" + std::to_string(p)},
         {"PolicyDocument",
          {{"Version", "2012-10-17"},
           {"Statement", {{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", resources}}}}}}});
  }
  const nlohmann::json snapshot = {
      {"UserDetailList", {User("small", nlohmann::json::parse(kDecryptAll)), big}}};
  const std::string file = dir.Write("big.json", snapshot.dump());
  const ProcessResult r = Kmsguard({"scan", "--format", "json", file});
  ASSERT_EQ(r.exit_code, 1) << DescribeRun(r);
  const nlohmann::json out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << DescribeRun(r);
  std::set<std::string> failing;
  bool shortened = false;
  for (const auto& f : out.value("findings", nlohmann::json::array())) {
    if (f.value("status", "") != "STATUS_FAIL") continue;
    failing.insert(f.value("resource_name", ""));
    if (f.value("resource_name", "") == "big") {
      shortened = f.value("message", "").find("were shortened") != std::string::npos;
      EXPECT_LT(f.dump().size(), 1024u * 1024u);
    }
  }
  EXPECT_TRUE(failing.count("small")) << DescribeRun(r);
  EXPECT_TRUE(failing.count("big")) << DescribeRun(r);
  EXPECT_TRUE(shortened) << "the finding does not say it was shortened";
}


// Issue 14, item 1: input that is not text is said to be so after its first bytes, not after the
// scan has read (and held) all of it; /dev/zero took 8 GB in 27 s.
TEST(ScanInputHygieneTest, BinaryInputIsRefusedAfterItsFirstBytes) {
  const ProcessResult zeros = Kmsguard({"scan", "/dev/zero"});
  EXPECT_EQ(zeros.exit_code, 2) << DescribeRun(zeros);
  EXPECT_THAT(zeros.err, HasSubstr("/dev/zero:1:1: error: the file holds a NUL byte"));
  EXPECT_THAT(zeros.err, HasSubstr("nothing could be read"));
  testing::TempDir dir;
  const std::string gz = dir.Write("zeros.json.gz", testing::GzipOf(std::string(200000, '\0')));
  const ProcessResult compressed = Kmsguard({"scan", gz});
  EXPECT_EQ(compressed.exit_code, 2) << DescribeRun(compressed);
  EXPECT_THAT(compressed.err, HasSubstr("the decompressed data holds a NUL byte"));
}

// ... and a file read whole (every format but a streamed export) has a size limit.
TEST(ScanInputHygieneTest, AFileReadWholeHasASizeLimit) {
  testing::TempDir dir;
  std::string yaml = "Resources:\n";
  while (yaml.size() < (std::size_t{3} << 20)) yaml += "  # padding of a template that never ends\n";
  const std::string big = dir.Write("big.yaml", yaml);
  const ProcessResult r = Kmsguard({"scan", "--max-input-mib", "2", big});
  EXPECT_EQ(r.exit_code, 2) << DescribeRun(r);
  EXPECT_THAT(r.err, HasSubstr("larger than 2 MiB, the limit for a file read whole"));
}

// Issue 14, item 11: a small gzip export missing only its last trailer byte kept nothing
// ("nothing could be read"); like a large one, it keeps every entry read before the damage.
TEST(ScanInputHygieneTest, AGzipFileMissingItsTrailerKeepsWhatItHolds) {
  testing::TempDir dir;
  const nlohmann::json gaad = {{"UserDetailList", {User("alice", nlohmann::json::parse(kDecryptAll))}}};
  std::string gz = testing::GzipOf(gaad.dump());
  ASSERT_LT(gz.size(), 64u * 1024);
  gz.pop_back();
  const std::string cut = dir.Write("cut.json.gz", gz);
  const ProcessResult r = Kmsguard({"scan", cut});
  EXPECT_EQ(r.exit_code, 3) << DescribeRun(r);  // alice FAILs; the damaged end was not read
  EXPECT_THAT(r.out, HasSubstr("user/alice"));
  EXPECT_THAT(r.err, HasSubstr(cut + ": error: the gzip data is truncated"));
}

// Each input is read once: an export arriving on a pipe is streamed like a file.
TEST(ScanInputHygieneTest, AnExportOnAPipeIsReadOnceAndStreamed) {
  testing::TempDir dir;
  const nlohmann::json gaad = {{"UserDetailList", {User("alice", nlohmann::json::parse(kDecryptAll))}}};
  const std::string file = dir.Write("gaad.json", gaad.dump());
  const ProcessResult r = testing::Run(
      {"/bin/sh", "-c",
       std::string("cat '") + file + "' | '" + KMSGUARD_BINARY + "' scan --format jsonl /dev/stdin"});
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  EXPECT_THAT(r.out, HasSubstr("user/alice"));
  // Streamed: the export reader's pointer, in the findings' source.
  EXPECT_THAT(r.out, HasSubstr(R"("file":"/dev/stdin","line":0,"column":0,"json_pointer":"/UserDetailList/0")"));
}

}  // namespace
}  // namespace kmsguard
