// kmsguard's own JSON and JSON Lines, the HTML report and the renderer registry.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using test::Json;

model::Finding Fail(const std::string& name = "app") {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not allow decryption on all keys";
  f.severity = model::Severity::kMedium;
  f.status = model::Status::kFail;
  f.resource_id = "arn:aws:iam::111122223333:role/" + name;
  f.resource_type = model::kIamRole;
  f.resource_name = name;
  f.partition = "aws";
  f.account = "111122223333";
  f.message = "role " + name + " allows kms:Decrypt on all KMS keys.";
  f.remediation = {"Scope it.", "1. Open the console.", "aws iam put-role-policy ...",
                   "resource \"aws_iam_role_policy\" {}"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.sid = "Broad";
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  e.action_patterns = {"kms:*"};
  e.resource_patterns = {"*"};
  f.evidence = {e};
  f.source.file = "gaad.json";
  f.source.json_pointer = "/RoleDetailList/0";
  return f;
}

model::ScanSummary Summary() {
  model::ScanSummary s;
  s.resources_received = 3;
  s.resources_evaluated = 3;
  s.pass = 1;
  s.fail = 2;
  s.rule_ids = {"aws-iam-inline-kms-decrypt-all-keys"};
  s.resource_types = {"AWS::IAM::Role"};
  s.accounts = {"111122223333"};
  s.regions = {"global"};
  return s;
}

TEST(RenderJsonTest, FindingsMirrorTheModelWithTheUid) {
  model::Finding pass = Fail("ok");
  pass.status = model::Status::kPass;
  const Json out = Json::parse(RenderJson({Fail(), pass}, Summary(), test::FixedOptions()));
  EXPECT_EQ(out["format"], "kmsguard.findings.v1");
  EXPECT_EQ(out["generated_at"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(out["tool"], Json({{"name", "kmsguard"}, {"version", "0.1.0"}}));
  ASSERT_THAT(out["findings"], SizeIs(2));
  const Json& f = out["findings"][0];
  EXPECT_EQ(f["uid"], FindingUid(Fail()));
  EXPECT_EQ(f["rule_id"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(f["severity"], "SEVERITY_MEDIUM");
  EXPECT_EQ(f["status"], "STATUS_FAIL");
  EXPECT_EQ(f["resource_id"], "arn:aws:iam::111122223333:role/app");
  EXPECT_EQ(f["region"], "global");
  EXPECT_EQ(f["remediation"]["cli"], "aws iam put-role-policy ...");
  EXPECT_EQ(f["compliance"][0], Json({{"standard", "AWS Foundational Security Best Practices"},
                                      {"control", "KMS.2"}}));
  EXPECT_EQ(f["evidence"][0]["action_patterns"], Json({"kms:*"}));
  EXPECT_EQ(f["evidence"][0]["statement_index"], 0);
  EXPECT_EQ(f["source"]["json_pointer"], "/RoleDetailList/0");
  EXPECT_EQ(f["source"]["line"], 0);
  EXPECT_EQ(out["findings"][1]["status"], "STATUS_PASS");
  // Every field is written, defaults included: the same keys for every finding.
  std::vector<std::string> keys, pass_keys;
  for (const auto& [key, unused] : f.items()) keys.push_back(key);
  for (const auto& [key, unused] : out["findings"][1].items()) pass_keys.push_back(key);
  EXPECT_EQ(keys, pass_keys);
  EXPECT_THAT(keys, ::testing::IsSupersetOf({"rule_version", "title", "resource_type",
                                             "resource_name", "provider", "partition", "account",
                                             "sub_key", "message", "conditional", "exposed_to",
                                             "exposure", "explanation"}));
  const Json& summary = out["summary"];
  EXPECT_EQ(summary["resources_received"], 3);
  EXPECT_EQ(summary["fail"], 2);
  EXPECT_EQ(summary["rule_ids"], Json({"aws-iam-inline-kms-decrypt-all-keys"}));
  EXPECT_EQ(summary["regions"], Json({"global"}));
}

TEST(RenderJsonTest, JsonLinesIsOneFindingPerLineThenTheSummary) {
  const std::string text = RenderJsonLines({Fail("a"), Fail("b")}, Summary(), test::FixedOptions());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::vector<std::string> lines = absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(Json::parse(lines[0])["resource_name"], "a");
  EXPECT_EQ(Json::parse(lines[1])["resource_name"], "b");
  EXPECT_EQ(Json::parse(lines[1]), Json::parse(RenderJson({Fail("b")}, Summary(),
                                                          test::FixedOptions()))["findings"][0]);
  const Json last = Json::parse(lines[2]);
  EXPECT_EQ(last["summary"]["fail"], 2);
  EXPECT_FALSE(last.contains("rule_id"));
  // Invalid UTF-8 in user content does not throw; it is replaced.
  model::Finding odd = Fail("bad\xFF");
  EXPECT_THAT(RenderJsonLines({odd}, Summary(), test::FixedOptions()), HasSubstr("bad\xEF\xBF\xBD"));
}

TEST(RenderHtmlTest, EscapesEveryTextAndLoadsNothing) {
  model::Finding evil = Fail("<script>alert(1)</script>");
  evil.message = "role <script>alert(1)</script> & \"friends\" 'x'";
  evil.evidence[0].policy_name = "<img src=x onerror=alert(2)>";
  evil.remediation.cli = "aws iam put-role-policy --role-name '<script>alert(3)</script>'";
  evil.account = "1111<b>2222";
  const std::string html =
      RenderHtml({evil, Fail("b")}, Summary(), test::FixedOptions());
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>2222")));
  EXPECT_THAT(html, HasSubstr("role/&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&amp; &quot;friends&quot; &#39;x&#39;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(2)&gt;"));
  // Exactly one script element: the page's own.
  std::size_t scripts = 0;
  for (std::size_t at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 1u);
  // Self-contained: nothing is loaded, and the CSP forbids loading anything.
  EXPECT_THAT(html, Not(HasSubstr(" src=\"")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, HasSubstr("content=\"default-src 'none'; style-src 'unsafe-inline'; "
                              "script-src 'unsafe-inline'\""));
}

TEST(RenderHtmlTest, ControlCharactersFromTheInputAreWrittenOutVisibly) {
  model::Finding f = Fail(std::string("nul\0esc\x1b[31m", 12));
  f.message = std::string("a\0b\x1b]0;t\x07" "c\x7f", 11);
  f.remediation.cli = "line one\n\tline two";
  const std::string html = RenderHtml({f}, Summary(), test::FixedOptions());
  for (const char c : html) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 ? byte != 0x7F : (c == '\n' || c == '\t'))
        << "raw control byte " << static_cast<int>(byte) << " in the page";
  }
  EXPECT_THAT(html, HasSubstr("nul\\x00esc\\x1b[31m"));
  EXPECT_THAT(html, HasSubstr("a\\x00b\\x1b]0;t\\x07c\\x7f"));
  EXPECT_THAT(html, HasSubstr("line one\n\tline two"));
}

TEST(RenderHtmlTest, CountsTableAndDetails) {
  model::Finding pass = Fail("ok");
  pass.status = model::Status::kPass;
  model::Finding high = Fail("h");
  high.severity = model::Severity::kHigh;
  high.account = "444455556666";
  const std::string html = RenderHtml({pass, Fail("a"), high}, Summary(), test::FixedOptions());
  EXPECT_THAT(html, HasSubstr("data-count=\"by-status:findings:FAIL\">2<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-status:findings:PASS\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-severity:high:FAIL\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-severity:medium:PASS\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-account:444455556666:total\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-account:111122223333:total\">2<"));
  EXPECT_THAT(html,
              HasSubstr("data-count=\"by-rule:aws-iam-inline-kms-decrypt-all-keys:total\">3<"));
  // Worst first: the high FAIL, then the medium FAIL, then the PASS.
  EXPECT_LT(html.find("data-principal=\"role/h\""), html.find("data-principal=\"role/a\""));
  EXPECT_LT(html.find("data-principal=\"role/a\""), html.find("data-principal=\"role/ok\""));
  EXPECT_THAT(html, HasSubstr("<h4>AWS CLI</h4><pre>aws iam put-role-policy ...</pre>"));
  EXPECT_THAT(html, HasSubstr("kms-all statement 0 &quot;Broad&quot;: Allow kms:Decrypt (Action "
                              "[&quot;kms:*&quot;]) on Resource [&quot;*&quot;]"));
  EXPECT_THAT(html, HasSubstr("Finding uid <code>" + FindingUid(high) + "</code>"));
  EXPECT_THAT(html, HasSubstr("<time datetime=\"2024-05-01T12:00:00.000Z\">"));
  EXPECT_THAT(html, HasSubstr("th data-key=\"severity-rank\" data-type=\"number\""));
}

TEST(RendererRegistryTest, EveryFormatIsRegisteredOnce) {
  EXPECT_THAT(RendererNames(),
              ElementsAre("table", "json", "jsonl", "ocsf", "asff", "sarif", "html"));
  for (const Renderer& renderer : Renderers()) {
    EXPECT_EQ(FindRenderer(renderer.name), &renderer);
    EXPECT_FALSE(renderer.description.empty());
    EXPECT_FALSE(renderer.render({Fail()}, Summary(), test::FixedOptions()).empty())
        << renderer.name;
  }
  EXPECT_EQ(FindRenderer("xml"), nullptr);
}

}  // namespace
}  // namespace kmsguard::render
