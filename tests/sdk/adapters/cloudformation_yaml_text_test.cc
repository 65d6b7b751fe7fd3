// YAML template text that yaml-cpp alone would misread or refuse whole: raw control characters,
// several documents in one file, nesting past yaml-cpp's depth limit. Each is reported where it
// is, and the rest of the template is read.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/adapters/snapshot.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using test::Find;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using std::string_literals::operator""s;

// Two users: `Clean` with a grant on every key, and `Dirty`, whose policy's Resource is line 11.
std::string TwoUsers(const std::string& dirty_resource) {
  return "Resources:\n"
         "  Clean:\n"
         "    Type: AWS::IAM::User\n"
         "    Properties:\n"
         "      Policies:\n"
         "        - PolicyName: star\n"
         "          PolicyDocument: {Version: \"2012-10-17\", Statement: [{Effect: Allow, "
         "Action: \"kms:*\", Resource: \"*\"}]}\n"
         "  Dirty:\n"
         "    Type: AWS::IAM::User\n"
         "    Properties:\n"
         "      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: "
         "\"s3:*\", Resource: " +
         dirty_resource + "}]}}]\n";
}

// YAML allows no raw control character but tab, LF and CR (and NEL); yaml-cpp reads a NUL in a
// plain scalar as the start of an escape ("vic<NUL>ntim" came out as "vic\ntim"). Each is an
// error at its line and column; the policy that held it is an ERROR; the rest is read.
TEST(CloudFormationYamlTextTest, RawControlCharactersAreErrorsWhereTheyAre) {
  struct Case {
    const char* name;
    std::string resource;  // Dirty's Resource; column 105 is where it starts on line 11
    int column;            // of the character
  };
  const std::vector<Case> cases = {
      {"NUL in a plain scalar", std::string("vic\0ntim", 8), 108},
      {"NUL in a double-quoted scalar", std::string("\"vic\0ntim\"", 10), 109},
      {"NUL in a single-quoted scalar", std::string("'a\0'", 4), 107},
      {"BEL", "a\x07z", 106},
      {"ESC, as a terminal escape", "\"\x1b[31mred\"", 106},
      {"DEL", "a\x7f", 106},
      {"a C1 control, U+0080", "a\xC2\x80z", 106},
      {"U+FFFF", "a\xEF\xBF\xBF", 106},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadCloudFormationTemplate(TwoUsers(c.resource), "t.yaml");
    ASSERT_EQ(test::Errors(result.diagnostics), 2) << Describe(result.diagnostics);
    EXPECT_EQ(result.diagnostics[0].location.line, 11);
    EXPECT_EQ(result.diagnostics[0].location.column, c.column);
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr("is not allowed in YAML (inside a double-quoted string, write it as an "
                          "escape such as \"\\0\"); replaced by U+FFFD"));
    EXPECT_THAT(result.diagnostics[1].message, HasSubstr("lost content while reading"));
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
                ElementsAre("User/Dirty"));
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
                ElementsAre("User/Clean"));
  }
  // Allowed: tab, CR LF line ends, NEL, and escapes written as text.
  for (const std::string& resource :
       {std::string("\"a\\0b\\x07\""), std::string("\"a\tb\""), std::string("a\xC2\x85z")}) {
    std::string text = TwoUsers(resource);
    const AdapterResult result = ReadCloudFormationTemplate(text, "t.yaml");
    EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  }
  const AdapterResult crlf =
      ReadCloudFormationTemplate("Resources:\r\n  U:\r\n    Type: AWS::IAM::User\r\n", "t.yaml");
  EXPECT_THAT(crlf.diagnostics, IsEmpty()) << Describe(crlf.diagnostics);
  EXPECT_THAT(test::TypeNames(crlf), ElementsAre("AWS::IAM::User/U"));
}

// Bytes that are not UTF-8 (a Latin-1 template, a cut sequence) refuse the template at the first
// of them: yaml-cpp would pass them into the policy's strings unchecked.
TEST(CloudFormationYamlTextTest, BytesThatAreNotUtf8RefuseTheTemplateWhereTheyAre) {
  struct Case {
    const char* name;
    std::string resource;  // Dirty's Resource; column 105 is where it starts on line 11
    int column;
  };
  const std::vector<Case> cases = {
      {"Latin-1", "arn:aws:s3:::caf\xE9", 121},
      {"a lone continuation byte, quoted", "\"a\x88\"", 107},
      {"a sequence cut short", "\"a\xE2\x82\"", 107},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadCloudFormationTemplate(TwoUsers(c.resource), "t.yaml");
    ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
    EXPECT_EQ(result.diagnostics[0].ToString(),
              "t.yaml:11:" + std::to_string(c.column) +
                  ": error: invalid UTF-8; the template is not read [snapshot_error]");
    EXPECT_THAT(result.resources, IsEmpty());
  }
}

TEST(CloudFormationYamlTextTest, EveryControlCharacterIsCountedAndAKeyOrCommentWithOneToo) {
  const AdapterResult result = ReadCloudFormationTemplate(
      "# a comment with a NUL: \0\nResources:\n  U\x01:\n    Type: AWS::IAM::User\n"
      "  V:\n    Type: AWS::IAM::User\n"s,
      "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].ToString(),
            "t.yaml:1:25: error: the raw control character U+0000 (NUL) (and 1 more) is not "
            "allowed in YAML (inside a double-quoted string, write it as an escape such as "
            "\"\\0\"); replaced by U+FFFD, and a policy document that held it is not evaluated "
            "[snapshot_error]");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::User/U\xEF\xBF\xBD", "AWS::IAM::User/V"));
}

// One template is one YAML document: a later document is never read silently.
TEST(CloudFormationYamlTextTest, ASecondDocumentIsAnErrorAndTheFirstIsRead) {
  struct Case {
    const char* name;
    std::string text;
    int errors;
    int line;  // of the second document's first node
  };
  const std::string first = "Resources:\n  U:\n    Type: AWS::IAM::User\n";
  const std::string second = "Resources:\n  R:\n    Type: AWS::IAM::Role\n";
  const std::vector<Case> cases = {
      {"two documents", first + "---\n" + second, 1, 5},
      {"three documents", first + "---\n" + second + "---\n" + second, 1, 5},
      {"a leading marker", "---\n" + first + "---\n" + second, 1, 6},
      {"an end marker between", first + "...\n---\n" + second, 1, 6},
      {"a trailing marker", first + "---\n", 0, 0},
      {"a document of comments", first + "---\n# nothing here\n", 0, 0},
      {"an empty first document", "---\n---\n" + first, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadCloudFormationTemplate(c.text, "t.yaml");
    EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::User/U"));
    ASSERT_EQ(test::Errors(result.diagnostics), c.errors) << Describe(result.diagnostics);
    if (c.errors == 0) continue;
    EXPECT_EQ(result.diagnostics[0].location.line, c.line);
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr("a second YAML document: a CloudFormation template is one document"));
  }
  // Through detection, too (the first document decides the format).
  const AdapterResult read = ReadSnapshot(first + "---\n" + second, "t.yaml");
  EXPECT_THAT(test::TypeNames(read), ElementsAre("AWS::IAM::User/U"));
  EXPECT_EQ(test::Errors(read.diagnostics), 1);
}

// yaml-cpp refuses a whole text nested past 500 levels. Flow collections nested that deep are
// cut before it reads the text: the over-deep part is reported with its position and the policy
// that held it is an ERROR, as for any nesting past 128 levels; the rest is read.
TEST(CloudFormationYamlTextTest, FlowNestingPastTheYamlReadersLimitCostsOnlyThatPolicy) {
  const auto nested = [](int depth, const std::string& open, const std::string& inner,
                         const std::string& close) {
    std::string out;
    for (int i = 0; i < depth; ++i) out += open;
    out += inner;
    for (int i = 0; i < depth; ++i) out += close;
    return out;
  };
  struct Case {
    const char* name;
    std::string resource;
    int column;  // of the container 129 levels deep (the policy document is 7 levels deep)
  };
  const std::vector<Case> cases = {
      {"lists", nested(600, "[", "", "]"), 105 + 120},
      {"maps", nested(600, "{a: ", "x", "}"), 105 + 4 * 120},
      {"lists holding quoted brackets and a comment-like text",
       nested(600, "[\"]\", '[', a#b, ", "", "]"), 105 + 16 * 120},
      // A tagged node starts at its tag, six characters before its bracket.
      {"lists with a tag and an anchor", nested(700, "[!T &a ", "", "]"), 105 + 7 * 120 - 6},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadCloudFormationTemplate(TwoUsers(c.resource), "t.yaml");
    ASSERT_EQ(test::Errors(result.diagnostics), 2) << Describe(result.diagnostics);
    EXPECT_EQ(result.diagnostics[0].location.line, 11);
    EXPECT_EQ(result.diagnostics[0].location.column, c.column);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("nesting deeper than 128 levels"));
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
                ElementsAre("User/Dirty"));
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
                ElementsAre("User/Clean"));
  }
  // A flow root (after a document marker, so read as YAML): the root is level 0.
  const AdapterResult flow_root = ReadCloudFormationTemplate(
      "---\n{Resources: {U: {Type: AWS::IAM::User, Metadata: " + nested(600, "[", "", "]") +
          "}, V: {Type: AWS::IAM::User}}}\n",
      "t.yaml");
  EXPECT_EQ(test::Errors(flow_root.diagnostics), 1) << Describe(flow_root.diagnostics);
  EXPECT_THAT(Describe(flow_root.diagnostics), HasSubstr("t.yaml:2:"));
  EXPECT_THAT(test::TypeNames(flow_root),
              UnorderedElementsAre("AWS::IAM::User/U", "AWS::IAM::User/V"));

  // Over several lines: the lines after it keep their numbers.
  std::string lines;
  for (int i = 0; i < 600; ++i) lines += "[\n        ";
  for (int i = 0; i < 600; ++i) lines += "]";
  const AdapterResult multiline =
      ReadCloudFormationTemplate(TwoUsers(lines) + "  Late:\n    Type: AWS::IAM::Role\n", "t.yaml");
  EXPECT_EQ(test::Errors(multiline.diagnostics), 2) << Describe(multiline.diagnostics);
  const model::Resource* late = Find(multiline, "Late");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->source.line, 11 + 600 + 1);
}

// Nesting written as indentation past yaml-cpp's limit cannot be cut out of the text: it is one
// error that says so, with the position, rather than "bad file".
TEST(CloudFormationYamlTextTest, IndentationPastTheYamlReadersLimitIsNamed) {
  std::string text = "Resources:\n  U:\n    Type: AWS::IAM::User\n    Metadata:\n";
  for (int i = 0; i < 600; ++i) text += std::string(6 + i, ' ') + "a:\n";
  const AdapterResult result = ReadCloudFormationTemplate(text, "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("nesting deeper than 499 levels, the most the YAML reader allows"));
  EXPECT_GT(result.diagnostics[0].location.line, 400);
  EXPECT_THAT(result.diagnostics[0].message, ::testing::Not(HasSubstr("bad file")));
  // Detection does not call it "neither JSON nor YAML".
  const AdapterResult detected = ReadSnapshot(text, "t.yaml");
  ASSERT_THAT(detected.diagnostics, SizeIs(1)) << Describe(detected.diagnostics);
  EXPECT_THAT(detected.diagnostics[0].message, ::testing::StartsWith("nesting deeper than 499"));
}

// A second document yaml-cpp 0.7 would read forever (a lone ","; jbeder/yaml-cpp#1319) is an
// error where it is, not a hang that takes the machine's memory.
TEST(CloudFormationYamlTextTest, TextTheYamlReaderWouldReadForeverIsAnError) {
  const std::string text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n---\n,\n";
  for (const AdapterResult& result :
       {ReadCloudFormationTemplate(text, "t.yaml"), ReadSnapshot(text, "t.yaml")}) {
    ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("makes no progress"));
    EXPECT_EQ(result.diagnostics[0].location.line, 5);
  }
}

// Block scalars, quoted and plain text with brackets are not flow collections.
TEST(CloudFormationYamlTextTest, BracketsInTextAreNotNesting) {
  std::string brackets(700, '[');
  const std::string text = "Description: |\n  " + brackets + "\nMetadata:\n  Note: a" + brackets +
                           "\n  Quoted: \"" + brackets + "\"\n  Single: '" + brackets + "'\n  # " +
                           brackets + "\nResources:\n  U:\n    Type: AWS::IAM::User\n";
  const AdapterResult result = ReadCloudFormationTemplate(text, "t.yaml");
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  EXPECT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::User/U"));
}

}  // namespace
}  // namespace kmsguard::adapters
