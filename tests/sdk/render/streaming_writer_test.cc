// The streaming writers of the JSON formats (json, jsonl, ocsf, asff): each finding reaches the
// stream in Write, the bytes are what the Render function returns and what nlohmann's dump of the
// whole document gives, and a failed stream makes Finish fail.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using OrderedJson = nlohmann::ordered_json;

model::Finding Fail(const std::string& name) {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not allow decryption on all keys";
  f.severity = model::Severity::kMedium;
  f.status = model::Status::kFail;
  f.resource_id = "arn:aws:iam::111122223333:role/" + name;
  f.resource_type = model::kIamRole;
  f.resource_name = name;
  f.provider = "aws";
  f.partition = "aws";
  f.account = "111122223333";
  f.region = "global";
  f.message = "role " + name + " allows kms:Decrypt on all KMS keys.";
  f.remediation = {"Scope it.", "1. Open the console.\n2. Edit.", "aws iam put-role-policy ...",
                   "resource \"aws_iam_role_policy\" {}"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  e.action_patterns = {"kms:Decrypt"};
  e.resource_patterns = {"*"};
  f.evidence = {e};
  f.explanation = {"line one", "line two"};
  return f;
}

model::ScanSummary Summary(std::size_t findings) {
  model::ScanSummary s;
  s.resources_received = findings;
  s.resources_evaluated = findings;
  s.fail = findings;
  s.rule_ids = {"aws-iam-inline-kms-decrypt-all-keys"};
  s.accounts = {"111122223333"};
  return s;
}

// Everything a writer for `format` writes for `findings`.
std::string WriteAll(const std::string& format, const std::vector<model::Finding>& findings,
                     const model::ScanSummary& summary) {
  const Renderer* renderer = FindRenderer(format);
  EXPECT_NE(renderer, nullptr);
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = renderer->open(out, test::FixedOptions());
  for (const model::Finding& f : findings) writer->Write(f);
  EXPECT_TRUE(writer->Finish(summary).ok());
  return out.str();
}

// The same bytes nlohmann writes for the whole document (the form the Render functions had before
// they streamed): the output read back and dumped again is unchanged.
void ExpectSameAsWholeDocumentDump(const std::string& format, const std::string& text) {
  if (format == "jsonl") {
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "");  // every line ends with a newline
    lines.pop_back();
    for (const std::string& line : lines) {
      EXPECT_EQ(OrderedJson::parse(line).dump(-1), line);
    }
    return;
  }
  // OCSF writes no newline after the array; json and asff do.
  const std::string newline = format == "ocsf" ? "" : "\n";
  EXPECT_EQ(OrderedJson::parse(text).dump(2) + newline, text);
}

// How many findings a format's output holds.
std::size_t FindingCount(const std::string& format, const std::string& text) {
  if (format == "jsonl") {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) - 1;
  }
  const OrderedJson doc = OrderedJson::parse(text);
  return format == "json" ? doc["findings"].size() : doc.size();
}

class StreamingWriterTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Render(const std::vector<model::Finding>& findings,
                     const model::ScanSummary& summary) {
    return FindRenderer(GetParam())->render(findings, summary, test::FixedOptions());
  }
};

TEST_P(StreamingWriterTest, EachFindingIsOnTheStreamRightAfterItsWrite) {
  const model::Finding first = Fail("first");
  const model::Finding second = Fail("second");
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer =
      FindRenderer(GetParam())->open(out, test::FixedOptions());
  writer->Write(first);
  const std::string after_first = out.str();
  EXPECT_THAT(after_first, HasSubstr(FindingUid(first)));
  EXPECT_THAT(after_first, HasSubstr("role first allows kms:Decrypt"));
  EXPECT_THAT(after_first, Not(HasSubstr(FindingUid(second))));
  writer->Write(second);
  const std::string after_second = out.str();
  EXPECT_THAT(after_second, HasSubstr(FindingUid(second)));
  EXPECT_THAT(after_second, Not(HasSubstr("resources_received")));  // the summary waits
  ASSERT_TRUE(writer->Finish(Summary(2)).ok());
  const std::string whole = out.str();
  // Nothing written is taken back or rewritten later.
  EXPECT_THAT(whole, StartsWith(after_second));
  EXPECT_THAT(after_second, StartsWith(after_first));
  EXPECT_EQ(whole, Render({first, second}, Summary(2)));
}

TEST_P(StreamingWriterTest, NoFindings) {
  const std::string text = WriteAll(GetParam(), {}, Summary(0));
  EXPECT_EQ(text, Render({}, Summary(0)));
  ExpectSameAsWholeDocumentDump(GetParam(), text);
  EXPECT_EQ(FindingCount(GetParam(), text), 0u);
  if (GetParam() == "json") {
    EXPECT_THAT(text, HasSubstr("\n  \"findings\": [],\n"));
  } else if (GetParam() == "ocsf") {
    EXPECT_EQ(text, "[]");
  } else if (GetParam() == "asff") {
    EXPECT_EQ(text, "[]\n");
  }
}

TEST_P(StreamingWriterTest, OneFinding) {
  model::Finding f = Fail("one");
  f.message += " \xFF";  // invalid UTF-8 is replaced, as in a whole-document dump
  const std::string text = WriteAll(GetParam(), {f}, Summary(1));
  EXPECT_EQ(text, Render({f}, Summary(1)));
  ExpectSameAsWholeDocumentDump(GetParam(), text);
  EXPECT_EQ(FindingCount(GetParam(), text), 1u);
  EXPECT_THAT(text, HasSubstr("\xEF\xBF\xBD"));  // U+FFFD
}

TEST_P(StreamingWriterTest, ManyFindingsOfTheBundledExample) {
  const test::Scan scan = test::ScanBundledExample();
  ASSERT_GT(scan.findings.size(), 3u);
  const std::string text = WriteAll(GetParam(), scan.findings, scan.summary);
  EXPECT_EQ(text, Render(scan.findings, scan.summary));
  ExpectSameAsWholeDocumentDump(GetParam(), text);
  std::size_t expected = scan.findings.size();
  if (GetParam() == "asff") {
    expected = static_cast<std::size_t>(
        std::count_if(scan.findings.begin(), scan.findings.end(),
                      [](const model::Finding& f) { return f.account.size() == 12; }));
  }
  EXPECT_EQ(FindingCount(GetParam(), text), expected);
}

TEST_P(StreamingWriterTest, FinishOnAGoodStreamIsOk) {
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer =
      FindRenderer(GetParam())->open(out, test::FixedOptions());
  writer->Write(Fail("a"));
  EXPECT_TRUE(writer->Finish(Summary(1)).ok());
}

TEST_P(StreamingWriterTest, FinishReportsAStreamThatWasAlreadyBad) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  const std::unique_ptr<FindingWriter> writer =
      FindRenderer(GetParam())->open(out, test::FixedOptions());
  writer->Write(Fail("a"));
  const absl::Status status = writer->Finish(Summary(1));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
}

// Takes `capacity` bytes, then refuses everything (a full disk, a closed pipe).
class FullBuffer final : public std::streambuf {
 public:
  explicit FullBuffer(std::size_t capacity) : capacity_(capacity) {}
  std::string taken;

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (taken.size() >= capacity_) return traits_type::eof();
    taken.push_back(traits_type::to_char_type(c));
    return c;
  }

 private:
  const std::size_t capacity_;
};

TEST_P(StreamingWriterTest, FinishReportsAStreamThatFillsUpMidway) {
  FullBuffer buffer(100);
  std::ostream out(&buffer);
  const std::unique_ptr<FindingWriter> writer =
      FindRenderer(GetParam())->open(out, test::FixedOptions());
  writer->Write(Fail("a"));
  writer->Write(Fail("b"));
  EXPECT_FALSE(writer->Finish(Summary(2)).ok());
  EXPECT_EQ(buffer.taken.size(), 100u);
}

// Accepts every byte but cannot flush them (an error that shows only at sync).
class UnflushableBuffer final : public std::stringbuf {
 protected:
  int sync() override { return -1; }
};

TEST_P(StreamingWriterTest, FinishReportsAFailedFlush) {
  UnflushableBuffer buffer;
  std::ostream out(&buffer);
  const std::unique_ptr<FindingWriter> writer =
      FindRenderer(GetParam())->open(out, test::FixedOptions());
  writer->Write(Fail("a"));
  EXPECT_FALSE(writer->Finish(Summary(1)).ok());
}

INSTANTIATE_TEST_SUITE_P(JsonFormats, StreamingWriterTest,
                         ::testing::Values("json", "jsonl", "ocsf", "asff"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

TEST(AsffStreamingWriterTest, LeavesOutFindingsWithoutAnAccountId) {
  const model::Finding a = Fail("a");
  model::Finding no_account = Fail("no-account");
  no_account.account = "";
  model::Finding short_account = Fail("short");
  short_account.account = "1234";
  const model::Finding b = Fail("b");
  const std::string text = WriteAll("asff", {a, no_account, b, short_account}, Summary(4));
  EXPECT_EQ(text, RenderAsff({a, b}, test::FixedOptions()));
  EXPECT_EQ(OrderedJson::parse(text).size(), 2u);
  EXPECT_THAT(text, Not(HasSubstr("no-account")));
  EXPECT_THAT(text, Not(HasSubstr("role/short")));
  ExpectSameAsWholeDocumentDump("asff", text);
}

TEST(AsffStreamingWriterTest, OnlyFindingsWithoutAnAccountIdGiveAnEmptyArray) {
  model::Finding no_account = Fail("no-account");
  no_account.account = "";
  EXPECT_EQ(WriteAll("asff", {no_account}, Summary(1)), "[]\n");
}

}  // namespace
}  // namespace kmsguard::render
