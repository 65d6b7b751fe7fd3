// `kmsguard scan` on every input format: detection, --input-format, gzip, unknown formats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "tests/bench/snapshot_generator.h"
#include "tests/gzip_fixture.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::ProcessResult;
using testing::Run;

using testing::Kmsguard;

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out.substr(0, 2000) +
         "\n--- stderr:\n" + r.err.substr(0, 4000);
}

// A gzipped AWS Config snapshot file: role gz-role with inline policy "all" (kms:* on *).
constexpr unsigned char kConfigSnapshotGz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x65, 0x90, 0x51, 0x6b, 0xc3, 0x20,
    0x14, 0x85, 0xff, 0x4a, 0x11, 0xf2, 0xb6, 0xac, 0xd1, 0x52, 0x02, 0xbe, 0xd9, 0xa5, 0x0f, 0x81,
    0xad, 0x8c, 0x74, 0x6c, 0x0f, 0x63, 0x0f, 0xe2, 0x4c, 0x2b, 0x33, 0x1a, 0xd4, 0x50, 0xba, 0xd2,
    0xff, 0xbe, 0xab, 0xcd, 0x42, 0xa0, 0x17, 0xb9, 0xe8, 0xb9, 0xe7, 0x93, 0xc3, 0xbd, 0xa0, 0x56,
    0x69, 0xf9, 0x2e, 0x9d, 0x57, 0xd6, 0x20, 0xba, 0x40, 0xf8, 0xb1, 0x40, 0x0f, 0x0b, 0x24, 0xac,
    0x69, 0xd5, 0x61, 0x70, 0x3c, 0x80, 0x5e, 0x07, 0xd9, 0x79, 0x18, 0x7e, 0x5e, 0x90, 0x93, 0xde,
    0x0e, 0x4e, 0xc8, 0xb7, 0x73, 0x2f, 0xa3, 0x9d, 0x7d, 0xec, 0x29, 0xad, 0xd9, 0x0b, 0xa5, 0x8d,
    0xd5, 0x32, 0x92, 0xac, 0xd9, 0xc5, 0x01, 0x77, 0x86, 0xf2, 0x93, 0xa7, 0x8a, 0x77, 0x94, 0x62,
    0x28, 0x02, 0xb5, 0x82, 0xa2, 0x0e, 0x8c, 0xcb, 0xc3, 0x6f, 0xee, 0x46, 0x00, 0x5c, 0x4c, 0x08,
    0x3b, 0x98, 0x50, 0x7f, 0xa7, 0x04, 0x33, 0xf3, 0x5d, 0x14, 0x30, 0x40, 0x08, 0x20, 0x77, 0xbc,
    0x4b, 0x01, 0x66, 0x1f, 0xf5, 0x3c, 0x1c, 0xa3, 0xb4, 0x8c, 0x8f, 0x28, 0xbe, 0x5a, 0xad, 0xc4,
    0xf9, 0x59, 0xf9, 0x70, 0x0b, 0xdf, 0xa7, 0xf7, 0x3f, 0xc9, 0xb5, 0x4e, 0x54, 0x12, 0x2b, 0x2b,
    0x86, 0x4e, 0x9a, 0x68, 0x44, 0x59, 0xb9, 0xc9, 0x08, 0x19, 0x77, 0x02, 0xb7, 0x6c, 0xc5, 0xa0,
    0x93, 0x02, 0x93, 0x1c, 0x17, 0x39, 0x2e, 0xa3, 0x44, 0x9e, 0xa0, 0xef, 0x03, 0x87, 0xcd, 0x00,
    0x35, 0x9a, 0xd6, 0x9b, 0x1b, 0xba, 0x6d, 0x5b, 0x29, 0xc2, 0x44, 0x32, 0xad, 0xed, 0x69, 0x82,
    0x98, 0x08, 0xf3, 0x6f, 0x7f, 0x3a, 0x9f, 0x2e, 0x6c, 0x32, 0x34, 0xe3, 0x8a, 0x27, 0xcb, 0x38,
    0x2c, 0xab, 0x6c, 0x5d, 0x41, 0x47, 0xd7, 0xaf, 0x2b, 0x9c, 0x3f, 0x5f, 0x0e, 0x58, 0x8a, 0xba,
    0x01, 0x00, 0x00};

constexpr char kTemplate[] = R"(Resources:
  Deployer:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: keys
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: kms:Decrypt
                Resource: !Sub "arn:${AWS::Partition}:kms:*:*:key/*"
)";

TEST(ScanInputFormatsTest, GzippedConfigSnapshotAndYamlTemplateAreDetected) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string gz = dir.Write(
      "snapshot.json.gz",
      std::string(reinterpret_cast<const char*>(kConfigSnapshotGz), sizeof(kConfigSnapshotGz)));
  const std::string yaml = dir.Write("stack.yaml", kTemplate);
  const ProcessResult r = Kmsguard({"scan", gz, yaml});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("gz-role"));
  EXPECT_THAT(r.out, HasSubstr("Deployer"));
}

// ASFF requires a 12-digit AwsAccountId; a template names no account. Its findings were silently
// dropped ("[]", exit 1 with nothing said): now they are counted on stderr, the scan's output is
// incomplete (bit 2), and --aws-account-id supplies the account (issue 14, item 9).
TEST(ScanInputFormatsTest, AsffSaysWhatItLeftOutAndTakesTheAccountFromTheCommandLine) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string yaml = dir.Write("stack.yaml", kTemplate);
  const ProcessResult r = Kmsguard({"scan", "--format", "asff", yaml});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::array());
  EXPECT_THAT(r.err, HasSubstr("FAIL) are not in the ASFF output"));
  EXPECT_THAT(r.err, HasSubstr("--aws-account-id"));

  const ProcessResult with =
      Kmsguard({"scan", "--format", "asff", "--aws-account-id", "444455556666", yaml});
  EXPECT_EQ(with.exit_code, 1) << Describe(with);
  EXPECT_THAT(with.err, Not(HasSubstr("not in the ASFF output")));
  const nlohmann::json findings = nlohmann::json::parse(with.out);
  bool failed = false;
  for (const nlohmann::json& f : findings) {
    EXPECT_EQ(f["AwsAccountId"], "444455556666");
    EXPECT_THAT(f["ProductArn"].get<std::string>(),
                HasSubstr(":444455556666:product/444455556666/"));
    failed = failed || f["Compliance"]["Status"] == "FAILED";
  }
  EXPECT_TRUE(failed) << with.out;

  const ProcessResult bad =
      Kmsguard({"scan", "--format", "asff", "--aws-account-id", "4444", yaml});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_THAT(bad.err, HasSubstr("12 digits"));

  // A real Terraform plan (the issue's report) when the reference samples are beside the clone.
  const std::string plan =
      std::string(KMSGUARD_SHARED_DIR) + "/samples/tfplan_regula_admin_policy_infra.json";
  if (std::filesystem::exists(plan)) {
    const ProcessResult tf = Kmsguard({"scan", "--format", "asff", plan});
    EXPECT_EQ(tf.exit_code & 2, 2) << Describe(tf);
    EXPECT_THAT(tf.err, HasSubstr("not in the ASFF output"));
    const ProcessResult tf_with =
        Kmsguard({"scan", "--format", "asff", "--aws-account-id", "444455556666", plan});
    EXPECT_FALSE(nlohmann::json::parse(tf_with.out).empty()) << Describe(tf_with);
  }
}

TEST(ScanInputFormatsTest, UnknownFormatExitsTwoNamingTheFile) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write("other.json", R"({"users": [], "roles": []})");
  const ProcessResult r = Kmsguard({"scan", file});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_THAT(r.err, HasSubstr("unknown snapshot format"));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(ScanInputFormatsTest, InputFormatOverridesDetection) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string yaml = dir.Write("stack.yaml", kTemplate);
  EXPECT_EQ(Kmsguard({"scan", "--input-format", "cloudformation", yaml}).exit_code, 1);
  const ProcessResult wrong = Kmsguard({"scan", "--input-format", "terraform", yaml});
  EXPECT_EQ(wrong.exit_code, 2) << Describe(wrong);
  EXPECT_THAT(wrong.err, HasSubstr("not valid JSON"));
  EXPECT_EQ(Kmsguard({"scan", "--input-format", "xml", yaml}).exit_code, 2);
  const ProcessResult help = Kmsguard({"scan", "--help"});
  EXPECT_THAT(help.out, HasSubstr("--input-format"));
}

// `--parameter NAME=VALUE` gives a template parameter its value in place of the Default, as the
// CloudFormation CLI does; a parameter left without one is named on stderr.
TEST(ScanInputFormatsTest, ParametersGiveTemplateParametersTheirValues) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string yaml = dir.Write("stack.yaml", R"(Parameters:
  KeyArn: {Type: String, Default: "arn:aws:kms:us-east-1:111122223333:key/k"}
  Unset: {Type: String}
Resources:
  Deployer:
    Type: AWS::IAM::Role
    Properties:
      RoleName: deployer
      Policies:
        - PolicyName: keys
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: kms:Decrypt, Resource: !Ref KeyArn}
              - {Effect: Allow, Action: s3:GetObject, Resource: !Ref Unset}
)");
  const ProcessResult defaults = Kmsguard({"scan", yaml});
  EXPECT_EQ(defaults.exit_code, 0) << Describe(defaults);
  EXPECT_THAT(defaults.err, HasSubstr(yaml + ":3:3#/Parameters/Unset: warning: parameter Unset has "
                                             "no Default and no --parameter value"));
  const ProcessResult star =
      Kmsguard({"scan", "--parameter", "KeyArn=*", "--parameter", "Unset=arn:aws:s3:::b/*", yaml});
  EXPECT_EQ(star.exit_code, 1) << Describe(star);
  EXPECT_THAT(star.out, HasSubstr("FAIL    aws-iam-inline-kms-decrypt-all-keys  role/deployer"));
  EXPECT_THAT(star.err, ::testing::Not(HasSubstr("warning")));

  for (const std::vector<std::string>& usage :
       {std::vector<std::string>{"--parameter", "KeyArn"},
        std::vector<std::string>{"--parameter", "=x"},
        std::vector<std::string>{"--parameter", "A=1", "--parameter", "A=2"}}) {
    std::vector<std::string> args = {"scan"};
    args.insert(args.end(), usage.begin(), usage.end());
    args.push_back(yaml);
    const ProcessResult r = Kmsguard(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.out, IsEmpty());
  }
}

// KMS keys from a template and a plan reach the rules that select AWS::KMS::Key (the example
// rules), and only those: the built-in IAM rules judge the template's role alone.
TEST(ScanInputFormatsTest, KmsKeysFromTemplatesAndPlansReachTheExampleRules) {
  const std::string examples = std::string(KMSGUARD_SOURCE_DIR) + "/rules/examples";
  const std::string fixtures = examples + "/fixtures/";
  const ProcessResult r =
      Kmsguard({"scan", "--format", "jsonl", "--show-pass", "--rules", examples,
                fixtures + "kms-keys.template.json", fixtures + "kms-keys.tfplan.json"});
  // FAIL findings, and ERROR ones (policies that cannot be judged): both bits.
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json f = nlohmann::json::parse(line, nullptr, false);
    if (f.is_discarded() || !f.contains("rule_id")) continue;
    const std::string rule = f.value("rule_id", "");
    if (rule.rfind("example-kms-key-", 0) != 0) {
      EXPECT_EQ(f.value("resource_type", ""), "AWS::IAM::Role") << line;
      continue;
    }
    EXPECT_EQ(f.value("resource_type", ""), "AWS::KMS::Key") << line;
    lines.push_back(rule.substr(std::string("example-kms-key-").size()) + " " +
                    f.value("status", "").substr(7) + " " + f.value("resource_name", ""));
  }
  std::sort(lines.begin(), lines.end());
  EXPECT_THAT(
      lines,
      ::testing::IsSupersetOf(
          {"policy-public-principal FAIL PublicKey",
           "policy-public-principal FAIL ProdOpenKey (if IsProd)",
           "policy-public-principal PASS ProdOpenKey (if not IsProd)",
           "policy-public-principal ERROR BrokenKey", "policy-public-principal ERROR PartnerKey",
           "policy-public-principal FAIL aws_kms_key.open",
           "policy-public-principal ERROR aws_kms_key.computed", "rotation-disabled FAIL PublicKey",
           "rotation-disabled PASS AppKey", "rotation-disabled FAIL aws_kms_key.open",
           "rotation-disabled PASS aws_kms_key.app"}))
      << Describe(r);
  EXPECT_THAT(lines, Not(::testing::Contains(HasSubstr("rotation-disabled FAIL SigningKey"))));
  EXPECT_THAT(r.err, HasSubstr("key policy of PartnerKey"));
}

// A role deleted after its last recorded configuration gives no finding (it used to FAIL with
// its last policy), and stderr says so.
TEST(ScanInputFormatsTest, ADeletedResourceInConfigHistoryHasNoFindingAndIsNamed) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string history = dir.Write("history.json", R"({"configurationItems": [
    {"configurationItemStatus": "OK", "configurationItemCaptureTime": "2024-01-01T00:00:00Z",
     "resourceType": "AWS::IAM::Role", "resourceId": "AROA1", "resourceName": "gone",
     "ARN": "arn:aws:iam::111122223333:role/gone",
     "configuration": {"roleName": "gone", "rolePolicyList": [{"policyName": "all",
       "policyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}]}},
    {"configurationItemStatus": "ResourceDeleted", "configurationItemCaptureTime": "2024-03-01T00:00:00Z",
     "resourceType": "AWS::IAM::Role", "resourceId": "AROA1", "resourceName": "gone",
     "ARN": "arn:aws:iam::111122223333:role/gone", "configuration": null},
    {"configurationItemStatus": "OK", "configurationItemCaptureTime": "2024-01-01T00:00:00Z",
     "resourceType": "AWS::IAM::Role", "resourceId": "AROA2", "resourceName": "kept",
     "ARN": "arn:aws:iam::111122223333:role/kept", "configuration": {"roleName": "kept"}}]})");
  const ProcessResult r = Kmsguard({"scan", history});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("gone")));
  EXPECT_THAT(r.err, HasSubstr(history + "#/configurationItems/1 (arn:aws:iam::111122223333:role/"
                                         "gone): warning: AWS::IAM::Role gone: its newest "
                                         "configuration item (2024-03-01T00:00:00Z) is "
                                         "ResourceDeleted: the resource no longer exists; it has "
                                         "no finding"));
}

// Authorization details are streamed from the file: two concatenated pages, the second cut off
// in the middle of a role. Everything before the break is scanned; the break is an error with its
// line, and the exit status says a FAIL was found.
TEST(ScanInputFormatsTest, StreamedExportWithPagesAndATruncatedEnd) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write("gaad.json", R"({"RoleDetailList": [
  {"RoleName": "page-one", "Arn": "arn:aws:iam::111122223333:role/page-one",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}],
 "IsTruncated": true, "Marker": "m1"}
{"RoleDetailList": [
  {"RoleName": "page-two", "Arn": "arn:aws:iam::111122223333:role/page-two",
   "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]},
  {"RoleName": "cut", "Arn": "arn:aws:iam::111122223333:role/cut", "RolePolicyList": [{"Poli)");
  const ProcessResult r = Kmsguard({"scan", "--format", "jsonl", file});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);  // FAILs, and the cut entry was not read
  EXPECT_THAT(r.out, HasSubstr("role/page-one"));
  EXPECT_THAT(r.out, HasSubstr("role/page-two"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("role/cut")));
  EXPECT_THAT(r.err, HasSubstr(file + ":10:"));
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
}

// A gzipped export streams like a plain one (decompressed as it is read, never whole in memory):
// the same findings; and a gzip file cut short still yields the entries before the cut.
TEST(ScanInputFormatsTest, AGzippedExportStreamsWithTheSameFindings) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::ostringstream text;
  bench::GeneratorOptions options;
  options.target_bytes = 1u << 20;
  bench::GenerateAuthorizationDetails(options, text);
  const std::string plain = dir.Write("export.json", text.str());
  const std::string gzipped = testing::GzipOf(text.str());
  const std::string gz = dir.Write("export.json.gz", gzipped);
  const ProcessResult a = Kmsguard({"scan", "--format", "jsonl", plain});
  const ProcessResult b = Kmsguard({"scan", "--format", "jsonl", gz});
  ASSERT_EQ(a.exit_code, 1) << Describe(a);
  ASSERT_EQ(b.exit_code, 1) << Describe(b);
  // Findings name their file; the summary line has the time.
  auto normalized = [](std::string out, const std::string& file) {
    out = absl::StrReplaceAll(out, {{file, "FILE"}});
    return out.substr(0, out.rfind("{\"summary\""));
  };
  EXPECT_EQ(normalized(a.out, plain), normalized(b.out, gz));
  EXPECT_GT(std::count(b.out.begin(), b.out.end(), '\n'), 1000);

  const std::string cut = dir.Write("cut.json.gz", gzipped.substr(0, gzipped.size() / 2));
  const ProcessResult c = Kmsguard({"scan", "--format", "jsonl", cut});
  EXPECT_EQ(c.exit_code, 3) << Describe(c);  // the entries before the cut still FAIL
  EXPECT_GT(std::count(c.out.begin(), c.out.end(), '\n'), 100);
  EXPECT_THAT(c.err, HasSubstr(cut + ": error: the gzip data is truncated"));
}

}  // namespace
}  // namespace kmsguard
