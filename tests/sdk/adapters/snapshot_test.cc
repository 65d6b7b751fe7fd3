#include "sdk/adapters/snapshot.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/gzip.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// gzip of {"UserDetailList": [{"UserName": "gz", "Arn": "arn:aws:iam::111122223333:user/gz"}]}.
constexpr unsigned char kGzipped[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x0a, 0x2d, 0x4e, 0x2d,
    0x72, 0x49, 0x2d, 0x49, 0xcc, 0xcc, 0xf1, 0xc9, 0x2c, 0x2e, 0x51, 0xb2, 0x52, 0x88, 0xae, 0x06,
    0x8b, 0xf9, 0x25, 0xe6, 0xa6, 0x02, 0x79, 0x4a, 0xe9, 0x55, 0x4a, 0x3a, 0x0a, 0x4a, 0x8e, 0x45,
    0x79, 0x20, 0x4e, 0x62, 0x51, 0x9e, 0x55, 0x62, 0x79, 0xb1, 0x55, 0x66, 0x62, 0xae, 0x95, 0x95,
    0x21, 0x10, 0x18, 0x01, 0x81, 0x31, 0x10, 0x58, 0x95, 0x02, 0xb5, 0xe8, 0x03, 0xd5, 0xd6, 0xc6,
    0xd6, 0x02, 0x00, 0xc6, 0x02, 0x17, 0x37, 0x54, 0x00, 0x00, 0x00};

std::string Gzipped() {
  return std::string(reinterpret_cast<const char*>(kGzipped), sizeof(kGzipped));
}

constexpr char kGaad[] = R"({"RoleDetailList": [{"RoleName": "r",
  "Arn": "arn:aws:iam::111122223333:role/r", "RolePolicyList": []}]})";
constexpr char kConfig[] = R"({"fileVersion": "1.0", "configurationItems": []})";
constexpr char kConfigItem[] = R"({"resourceType": "AWS::IAM::User", "configuration": {}})";
constexpr char kEvent[] = R"({"invokingEvent": "{}", "ruleParameters": "{}"})";
constexpr char kPlan[] = R"({"format_version": "1.1", "terraform_version": "1.5.0",
  "planned_values": {"root_module": {}}})";
constexpr char kState[] = R"({"format_version": "1.0", "values": {"root_module": {}}})";
constexpr char kTemplateJson[] = R"({"Resources": {"U": {"Type": "AWS::IAM::User"}}})";
constexpr char kTemplateYaml[] = "# a comment\nResources:\n  U:\n    Type: AWS::IAM::User\n";

TEST(DetectInputFormatTest, FromTheContent) {
  EXPECT_EQ(DetectInputFormat(kGaad), InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(R"({"IsTruncated": false, "Policies": []})"),
            InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(kConfig), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kConfigItem), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(std::string("[") + kConfigItem + "]"), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kEvent), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kPlan), InputFormat::kTerraform);
  EXPECT_EQ(DetectInputFormat(kState), InputFormat::kTerraform);
  EXPECT_EQ(DetectInputFormat(kTemplateJson), InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(R"({"AWSTemplateFormatVersion": "2010-09-09"})"),
            InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(kTemplateYaml), InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat("\xEF\xBB\xBF" + std::string(kGaad)),
            InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(Gzipped()), InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(R"({"Resources": {"B": {"Type": "Custom::Thing"}}})"),
            InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(R"({"Resources": {}, "Other": 1})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"users": []})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat("[1, 2]"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat("plain: yaml\n"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(""), InputFormat::kAuto);
}

TEST(InputFormatTest, NamesRoundTrip) {
  for (InputFormat f : {InputFormat::kAuto, InputFormat::kAuthorizationDetails,
                        InputFormat::kConfig, InputFormat::kTerraform, InputFormat::kCloudFormation,
                        InputFormat::kGcpAssetInventory, InputFormat::kGcpIamPolicySearch}) {
    InputFormat parsed = InputFormat::kAuto;
    ASSERT_TRUE(ParseInputFormat(InputFormatName(f), &parsed));
    EXPECT_EQ(parsed, f);
  }
  InputFormat parsed;
  EXPECT_FALSE(ParseInputFormat("xml", &parsed));
}

// gcloud asset export writes one asset per line; the sniffer alone would stop after the first.
TEST(InputFormatTest, DetectsAssetInventoryExportsByContent) {
  constexpr char kExport[] =
      R"({"name": "//cloudresourcemanager.googleapis.com/projects/1", "asset_type": )"
      R"("cloudresourcemanager.googleapis.com/Project"})"
      "\n"
      R"({"name": "//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r", "assetType": )"
      R"("cloudkms.googleapis.com/KeyRing", "iamPolicy": {"bindings": []}})"
      "\n";
  EXPECT_EQ(DetectInputFormat(kExport), InputFormat::kGcpAssetInventory);
  EXPECT_EQ(DetectInputFormat(std::string("\n  \n") + kExport), InputFormat::kGcpAssetInventory);
  EXPECT_EQ(DetectInputFormat(R"({"name": "x"})"), InputFormat::kAuto);
  const AdapterResult read = ReadSnapshot(kExport, "export.ndjson");
  EXPECT_THAT(read.diagnostics, IsEmpty()) << Describe(read.diagnostics);
  ASSERT_EQ(read.resources.size(), 2u);
  EXPECT_EQ(read.resources[0].provider, "gcp");
  EXPECT_EQ(read.resources[1].type, "cloudkms.googleapis.com/KeyRing");
}

// get-iam-policy output names no resource: it is no format of its own (kAuto), and reading it as
// a FILE is an error that says what it is and which option reads it, not "unknown format".
TEST(ReadSnapshotTest, AGcloudIamPolicyNamesTheOptionThatReadsIt) {
  constexpr char kPolicy[] =
      R"({"bindings": [{"role": "roles/owner", "members": ["user:a@x"]}], "etag": "BwX=",)"
      R"( "version": 1})";
  EXPECT_EQ(DetectInputFormat(kPolicy), InputFormat::kAuto);
  const AdapterResult read = ReadSnapshot(kPolicy, "policy.json");
  EXPECT_THAT(read.resources, IsEmpty());
  ASSERT_EQ(test::Errors(read.diagnostics), 1) << Describe(read.diagnostics);
  EXPECT_EQ(read.diagnostics[0].location.file, "policy.json");
  EXPECT_THAT(read.diagnostics[0].message, HasSubstr("get-iam-policy"));
  EXPECT_THAT(read.diagnostics[0].message, HasSubstr("--gcp-policy RESOURCE=policy.json"));
  EXPECT_THAT(read.diagnostics[0].message, Not(HasSubstr("unknown snapshot format")));
  // An object with other keys as well is some other JSON: unknown, as before.
  const AdapterResult other = ReadSnapshot(R"({"bindings": [], "users": []})", "other.json");
  ASSERT_EQ(test::Errors(other.diagnostics), 1);
  EXPECT_THAT(other.diagnostics[0].message, HasSubstr("unknown snapshot format"));
}

// search-all-iam-policies output is a list with no distinctive top-level key, like Azure CLI
// output and lists of Config items: the first element's shape decides, and none of the
// neighbours' shapes is taken for another.
TEST(InputFormatTest, DetectsIamPolicySearchWithoutTakingItsNeighbours) {
  constexpr char kSearch[] =
      R"([{"resource": "//cloudresourcemanager.googleapis.com/projects/p", "assetType": )"
      R"("cloudresourcemanager.googleapis.com/Project", "project": "projects/1", "policy": )"
      R"({"bindings": [{"role": "roles/owner", "members": ["user:a@x"]}]}}])";
  EXPECT_EQ(DetectInputFormat(kSearch), InputFormat::kGcpIamPolicySearch);
  EXPECT_EQ(DetectInputFormat(std::string(R"({"results": )") + kSearch + "}"),
            InputFormat::kGcpIamPolicySearch);
  const AdapterResult read = ReadSnapshot(kSearch, "search.json");
  EXPECT_THAT(read.diagnostics, IsEmpty()) << Describe(read.diagnostics);
  ASSERT_EQ(read.resources.size(), 1u);
  EXPECT_EQ(read.resources[0].type, "cloudresourcemanager.googleapis.com/Project");
  InputFormat parsed = InputFormat::kAuto;
  ASSERT_TRUE(ParseInputFormat("gcp-iam-search", &parsed));
  EXPECT_EQ(parsed, InputFormat::kGcpIamPolicySearch);
  EXPECT_EQ(InputFormatName(InputFormat::kGcpIamPolicySearch), "gcp-iam-search");

  // Neighbours keep their formats.
  EXPECT_EQ(DetectInputFormat(
                R"([{"principalId": "p", "roleDefinitionId": "/subscriptions/s/providers/)"
                R"(Microsoft.Authorization/roleDefinitions/r", "scope": "/subscriptions/s"}])"),
            InputFormat::kAzureCli);
  EXPECT_EQ(DetectInputFormat(std::string("[") + kConfigItem + "]"), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(
                R"({"name": "//cloudresourcemanager.googleapis.com/projects/1", "asset_type": )"
                R"("cloudresourcemanager.googleapis.com/Project", "resource": {}, "policy": {}})"),
            InputFormat::kGcpAssetInventory);
  // An Azure policy-like element with a resource that is not a string, a policy that is not an
  // object, a match that is not first, an empty list: not search output.
  EXPECT_EQ(DetectInputFormat(R"([{"resource": {"id": "x"}, "policy": {}}])"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"([{"resource": "x", "policy": "text"}])"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"([1, {"resource": "x", "policy": {}}])"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat("[]"), InputFormat::kAuto);
  // A CAI export line is one object, not a list: the search shape never takes it, nor the
  // reverse (the export's test is a string "name" with "asset_type").
  EXPECT_EQ(DetectInputFormat(R"({"resource": "x", "policy": {}})"), InputFormat::kAuto);
}

TEST(ReadSnapshotTest, DispatchesOnTheDetectedFormat) {
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kGaad, "g.json")), ElementsAre("AWS::IAM::Role/r"));
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kTemplateYaml, "t.yaml")),
              ElementsAre("AWS::IAM::User/U"));
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kTemplateJson, "t.json")),
              ElementsAre("AWS::IAM::User/U"));
  const AdapterResult gz = ReadSnapshot(Gzipped(), "snapshot.json.gz");
  EXPECT_THAT(gz.diagnostics, IsEmpty()) << Describe(gz.diagnostics);
  EXPECT_THAT(test::TypeNames(gz), ElementsAre("AWS::IAM::User/gz"));
  // An explicit format wins over detection.
  const AdapterResult forced = ReadSnapshot(kGaad, "g.json", InputFormat::kTerraform);
  EXPECT_THAT(forced.resources, IsEmpty());
  EXPECT_THAT(Describe(forced.diagnostics), HasSubstr("not a Terraform plan"));
}

TEST(ReadSnapshotTest, UnknownFormatsAreDiagnosticsNotEmptyAccounts) {
  // JSON with none of the lists used to read as an empty account (0 resources, exit 0).
  AdapterResult result = ReadSnapshot(R"({"users": [], "roles": []})", "other.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unknown snapshot format"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("roles, users"));
  EXPECT_EQ(result.diagnostics[0].location.file, "other.json");

  result = ReadSnapshot(R"({"users": []})", "other.json", InputFormat::kAuthorizationDetails);
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("none of UserDetailList"));

  result = ReadSnapshot("plain: yaml\n", "x.yaml");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("not a CloudFormation template"));

  result = ReadSnapshot("  \n", "empty.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("empty"));

  // The raw control characters are named with their position, then the text fails as YAML.
  result = ReadSnapshot("\x01\x02 binary: [", "bin");
  ASSERT_EQ(test::Errors(result.diagnostics), 2) << Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].ToString(), HasSubstr("bin:1:1: error: the raw control "
                                                          "character U+0001 (SOH) (and 1 more)"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("neither JSON nor YAML"));

  result = ReadSnapshot("[1, 2]", "list.json");
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("JSON list"));
}

// Text that is not JSON is read as a YAML template only. Over 4 MiB, one that does not open with
// a template section is refused at once, naming its first significant line, instead of going
// whole through the YAML reader (a 105 MB log took 41 s and 650 MB). Templates of that size that
// do open with a section, after comments, directives or a document start, are still read.
TEST(ReadSnapshotTest, ALargeTextThatOpensNoTemplateSectionIsRefusedAtItsFirstLine) {
  constexpr std::size_t kOver = (std::size_t{4} << 20) + 1;
  const auto padded = [](std::string head, const std::string& line) {
    while (head.size() < kOver) head += line;
    return head;
  };
  struct Case {
    const char* name;
    std::string text;
    int line;
  };
  const std::vector<Case> refused = {
      {"log", padded("", "2026-12-04T10:00:00Z INFO GET /health 200 0.4ms\n"), 1},
      {"csv", padded("arn,name,policy\n", "arn:aws:iam::111122223333:role/r,r,{}\n"), 1},
      {"commented log", padded("# exported by a tool\n\n   \n", "level=info msg=ok\n"), 4},
      {"kubernetes manifest",
       padded("---\napiVersion: v1\nkind: ConfigMap\ndata:\n", "  key: value\n"), 2},
      {"misspelt section", padded("%YAML 1.2\n---\nResource:\n", "  # padding\n"), 3},
      {"section without colon", padded("Resources\n", "more text\n"), 1},
      {"one long line", std::string(kOver, 'x'), 1},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DetectInputFormat(c.text), InputFormat::kAuto);
    const AdapterResult result = ReadSnapshot(c.text, "big.txt");
    EXPECT_THAT(result.resources, IsEmpty());
    ASSERT_EQ(result.diagnostics.size(), 1u) << Describe(result.diagnostics);
    EXPECT_EQ(result.diagnostics[0].location.ToString(),
              "big.txt:" + std::to_string(c.line) + ":1");
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr("neither JSON nor a CloudFormation template"));
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr("line " + std::to_string(c.line) + " (\""));
  }

  constexpr char kRole[] =
      "  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n";
  const std::vector<Case> read = {
      {"plain key",
       padded(std::string("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n") + kRole,
              "# padding\n"),
       0},
      {"after comments, a directive and ---",
       padded(std::string("# header\n%YAML 1.2\n---\n\nResources:\n") + kRole, "# padding\n"), 0},
      {"double-quoted key",
       padded(std::string("\"Description\": big\nResources:\n") + kRole, "# padding\n"), 0},
      {"single-quoted key with a space before the colon",
       padded(std::string("'Resources' :\n") + kRole, "# padding\n"), 0},
  };
  for (const Case& c : read) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DetectInputFormat(c.text), InputFormat::kCloudFormation);
    const AdapterResult result = ReadSnapshot(c.text, "big.yaml");
    EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
    EXPECT_THAT(result.resources, SizeIs(1));
  }

  // Under the limit the full reader still gives its own message.
  const AdapterResult small = ReadSnapshot("level=info msg=ok\n", "small.txt");
  ASSERT_EQ(test::Errors(small.diagnostics), 1);
  EXPECT_THAT(small.diagnostics[0].message, Not(HasSubstr("opens no template section")));
}

TEST(ReadSnapshotTest, TruncatedAndCorruptInput) {
  // Truncated JSON: one error with line and column, nothing loaded.
  AdapterResult result = ReadSnapshot("{\n  \"RoleDetailList\": [\n    {\"RoleName\": ", "t.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_EQ(result.diagnostics[0].location.line, 3);
  EXPECT_GT(result.diagnostics[0].location.column, 0);
  result = ReadSnapshot("{\n  \"planned_values\": {\"root_module\": ", "t.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_EQ(result.diagnostics[0].location.line, 2);
  // Truncated gzip.
  result = ReadSnapshot(Gzipped().substr(0, 40), "t.json.gz");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("truncated"));
  // Corrupt gzip.
  std::string corrupt = Gzipped();
  corrupt[12] = '\xff';
  corrupt[13] = '\xff';
  result = ReadSnapshot(corrupt, "c.json.gz");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
}

// UTF-16 (PowerShell's `>` writes it) was "neither JSON nor YAML", and UTF-32 was called UTF-16
// (its little-endian byte order mark starts with UTF-16's): each is named as what it is.
TEST(ReadSnapshotTest, Utf16AndUtf32AreNamedAsSuch) {
  struct Case {
    std::string bom;
    int width;
    bool little_endian;
    const char* name;
  };
  const std::vector<Case> cases = {
      {std::string("\xFF\xFE"), 2, true, "UTF-16"},
      {std::string("\xFE\xFF"), 2, false, "UTF-16"},
      {std::string("\xFF\xFE\0\0", 4), 4, true, "UTF-32"},
      {std::string("\0\0\xFE\xFF", 4), 4, false, "UTF-32"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name) + (c.little_endian ? " LE" : " BE"));
    std::string text = c.bom;
    for (const char ch : std::string(R"({"RoleDetailList": []})")) {
      std::string unit(static_cast<std::size_t>(c.width), '\0');
      unit[c.little_endian ? 0 : unit.size() - 1] = ch;
      text += unit;
    }
    const AdapterResult result = ReadSnapshot(text, "ps.json");
    ASSERT_EQ(test::Errors(result.diagnostics), 1);
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr(std::string("the file is ") + c.name + " (it starts with a " + c.name +
                          " byte order mark"));
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr(std::string("iconv -f ") + c.name + " -t UTF-8"));
  }
}

// A file holding one JSON scalar was described as "YAML but not a CloudFormation template".
TEST(ReadSnapshotTest, AFileOfOneValueSaysWhatItHolds) {
  struct Case {
    const char* text;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"null", "the file is JSON holding only null, not an object or a list"},
      {"0", "the file is JSON holding only the number 0, not an object or a list"},
      {" -1.5e3\n", "the file is JSON holding only the number -1500.0"},
      {"true", "the file is JSON holding only the boolean true"},
      {"false\n", "the file is JSON holding only the boolean false"},
      {"\"Resources\"", "the file is JSON holding only a string"},
      {"plain: yaml\n",
       "the file is YAML but not a CloudFormation template (no "
       "AWSTemplateFormatVersion or Resources)"},
      {"- a\n- b\n", "the file is YAML holding a list, not a CloudFormation template"},
      {"just words\n", "the file is YAML holding a single scalar, not a CloudFormation template"},
      {"# only a comment\n", "the file is YAML holding nothing, not a CloudFormation template"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const AdapterResult result = ReadSnapshot(c.text, "x.json");
    ASSERT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unknown snapshot format: "));
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr(c.says));
  }
}

// A number too large for a double is reported where the number starts, in every JSON input
// read whole (and inside JSON text held in a string, by pointer and position in that text).
TEST(ReadSnapshotTest, ANumberOverflowIsReportedWhereTheNumberIs) {
  const std::string padding(86, '\n');  // the number is on line 88
  struct Case {
    const char* name;
    std::string text;
    std::string where;
  };
  const std::vector<Case> cases = {
      {"Config", "{\"configurationItems\": [\n" + padding + "  {\"x\": 1e999999}]}",
       "n.json:88:9: error: not valid JSON: number overflow parsing '1e999999'"},
      {"Config, the number before the deciding key",
       "{\"x\": 0,\n" + padding + " \"y\": -1e999999, \"configurationItems\": []}",
       "n.json:88:7: error: not valid JSON: number overflow parsing '-1e999999'"},
      {"Terraform", "{\"planned_values\": {},\n" + padding + "\"x\": [1, 2.5e400]}",
       "n.json:88:10: error"},
      {"CloudFormation JSON", "{\"Resources\": {},\n" + padding + "\"x\": 1E+99999}",
       "n.json:88:6: error"},
      {"a list of Config items",
       "[{\"resourceType\": \"AWS::IAM::Role\", \"configuration\": {},\n" + padding +
           "\"x\": 9e9999}]",
       "n.json:88:6: error"},
      {"JSON text inside a Config item",
       "{\"configurationItems\": [{\"resourceType\": \"AWS::IAM::Role\", \"ARN\": \"a\", "
       "\"configuration\": \"{\\n\\n  \\\"x\\\": 1e999999}\"}]}",
       "n.json#/configurationItems/0/configuration: error: not valid JSON (line 3, column 8 of "
       "the JSON text in this string)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadSnapshot(c.text, "n.json");
    ASSERT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].ToString(), HasSubstr(c.where));
  }
}

// What `kmsguard scan` reads goes through ReadSnapshot: a JSON template's resources must carry
// their line and column there too, not only through ReadCloudFormationTemplate (they were 0).
TEST(ReadSnapshotTest, JsonTemplatesKeepLinesAndColumns) {
  const std::string text =
      "{\n  \"Resources\": {\n    \"R\": {\n      \"Type\": \"AWS::IAM::Role\",\n"
      "      \"Properties\": {\"RoleName\": \"r1\"}\n    }\n  }\n}\n";
  for (const InputFormat format : {InputFormat::kAuto, InputFormat::kCloudFormation}) {
    const AdapterResult result = ReadSnapshot(text, "t.json", format);
    ASSERT_THAT(result.resources, SizeIs(1)) << Describe(result.diagnostics);
    EXPECT_EQ(result.resources[0].source.json_pointer, "/Resources/R");
    EXPECT_EQ(result.resources[0].source.line, 3);
    EXPECT_EQ(result.resources[0].source.column, 5);
  }
}

TEST(GunzipTest, SizeLimitAndMultipleMembers) {
  EXPECT_TRUE(IsGzip(Gzipped()));
  EXPECT_FALSE(IsGzip("{}"));
  const absl::StatusOr<std::string> twice = Gunzip(Gzipped() + Gzipped());
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->size(), 2 * Gunzip(Gzipped())->size());
  const absl::StatusOr<std::string> small = Gunzip(Gzipped(), 10);
  EXPECT_EQ(small.status().code(), absl::StatusCode::kResourceExhausted);
}

// Invalid UTF-8 in one policy of an authorization-details export: reported with its position; that
// principal is an ERROR; the others are evaluated.
TEST(ReadSnapshotTest, InvalidUtf8CostsOnlyThePolicyThatHeldIt) {
  const std::string text = std::string(R"({"RoleDetailList": [
  {"RoleName": "bad", "Arn": "arn:aws:iam::111122223333:role/bad",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:Get)") +
                           "\xff" + R"(", "Resource": "*"}]}}]},
  {"RoleName": "good", "Arn": "arn:aws:iam::111122223333:role/good",
   "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}]})";
  const AdapterResult result = ReadSnapshot(text, "utf8.json");
  ASSERT_THAT(result.resources, SizeIs(2));
  ASSERT_GE(result.diagnostics.size(), 2u) << Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("invalid UTF-8"));
  EXPECT_EQ(result.diagnostics[0].location.line, 4);
  EXPECT_EQ(result.diagnostics[0].location.column, 57);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("inline policy \"p\" of AWS::IAM::Role bad"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/bad"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/good"));
}

TEST(ReadSnapshotTest, NestingDeeperThanTheLimitCostsOnlyThatPrincipal) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  for (int i = 0; i < 5000; ++i) deep += "]";
  const std::string text = R"({"UserDetailList": [
  {"UserName": "deep", "Arn": "arn:aws:iam::111122223333:user/deep",
   "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow",
     "Action": "s3:*", "Resource": )" +
                           deep + R"(}]}}]},
  {"UserName": "fine", "Arn": "arn:aws:iam::111122223333:user/fine"}]})";
  for (InputFormat format : {InputFormat::kAuto, InputFormat::kAuthorizationDetails}) {
    const AdapterResult result = ReadSnapshot(text, "deep.json", format);
    ASSERT_THAT(result.resources, SizeIs(2));
    ASSERT_THAT(result.diagnostics, SizeIs(2)) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("deeper than 128"));
    EXPECT_EQ(result.diagnostics[0].location.line, 4);
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
                ElementsAre("User/deep"));
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kPass),
                ElementsAre("User/fine"));
  }
  // The same in a Terraform plan and in Config items.
  const std::string config = R"({"configurationItems": [{"resourceType": "AWS::IAM::User",
    "ARN": "arn:aws:iam::111122223333:user/deep", "configuration": {"userName": "deep",
    "userPolicyList": [{"policyName": "p", "policyDocument": )" +
                             deep + R"(}]}}]})";
  const AdapterResult from_config = ReadSnapshot(config, "deep-config.json");
  ASSERT_THAT(from_config.resources, SizeIs(1)) << Describe(from_config.diagnostics);
  EXPECT_THAT(
      test::WithStatus(test::EvaluateAll(from_config), test::kInlineRule, model::Status::kError),
      ElementsAre("User/deep"));
}

}  // namespace
}  // namespace kmsguard::adapters
