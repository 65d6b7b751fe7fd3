// The plugin evaluates the batches of one call concurrently (plugin_service.cc), so they finish in
// any order. Google Cloud and Azure resources are held until ScanEnd and joined then; what the
// join reports and the order of the findings must follow the order the host sent the resources,
// not the order the pool finished the batches. The hierarchy conflict below is reported at the
// asset that states the second parent: with the batches joined in completion order, it was
// reported at the project's own record or at the service account, and once or twice, from run to
// run.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kmsguard/plugin/v1/plugin.pb.h"
#include "plugin/scan_session.h"
#include "sdk/adapters/gcp_asset_inventory.h"
#include "sdk/client/convert.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {
namespace {

namespace v1 = plugin::v1;

// A project whose own record says its parent is organization 111, and a service account of it
// whose ancestors say folder 789: the inputs disagree on the project's parent.
constexpr char kProject[] =
    R"({"name":"//cloudresourcemanager.googleapis.com/projects/1041",)"
    R"("asset_type":"cloudresourcemanager.googleapis.com/Project",)"
    R"("resource":{"data":{"projectId":"project1","projectNumber":"1041"},)"
    R"("parent":"//cloudresourcemanager.googleapis.com/organizations/111"}})";
constexpr char kServiceAccount[] =
    R"({"name":"//iam.googleapis.com/projects/project1/serviceAccounts/1",)"
    R"("asset_type":"iam.googleapis.com/ServiceAccount",)"
    R"("resource":{"parent":"//cloudresourcemanager.googleapis.com/projects/1041",)"
    R"("data":{"projectId":"project1"}},"ancestors":["projects/1041","folders/789"]})";

std::shared_ptr<const engine::Evaluator> BuiltinEvaluator() {
  rules::LoadResult loaded = rules::LoadBuiltinRules();
  return std::make_shared<const engine::Evaluator>(
      std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
}

v1::Resource Read(const std::string& line, const std::string& file) {
  const adapters::AdapterResult read = adapters::ReadAssetInventoryExport(line, file);
  EXPECT_EQ(read.resources.size(), 1u);
  v1::Resource out;
  if (!read.resources.empty()) client::ToProto(read.resources.front(), &out);
  return out;
}

// The scan's scan diagnostics, as "file: message", with the project first and the service account
// second, each in its own batch; `reversed` finishes the second batch before the first.
std::vector<std::string> JoinDiagnostics(bool reversed) {
  ScanSession session(BuiltinEvaluator(), 100);
  std::vector<v1::EvaluateResponse> out;
  v1::EvaluateRequest start;
  start.mutable_scan_start()->set_scan_id("order");
  EXPECT_TRUE(session.Handle(start, &out).ok());
  std::vector<ScanSession::BatchWork> work;
  for (const auto& [line, file] :
       {std::pair{kProject, "project.ndjson"}, std::pair{kServiceAccount, "account.ndjson"}}) {
    v1::ResourceBatch batch;
    *batch.add_resources() = Read(line, file);
    absl::StatusOr<ScanSession::BatchWork> accepted = session.Accept(&batch);
    EXPECT_TRUE(accepted.ok()) << accepted.status();
    if (accepted.ok()) work.push_back(*std::move(accepted));
  }
  if (reversed) std::swap(work[0], work[1]);
  for (const ScanSession::BatchWork& w : work) session.Merge(session.Evaluate(w).summary);
  v1::EvaluateRequest end;
  end.mutable_scan_end();
  out.clear();
  EXPECT_TRUE(session.Handle(end, &out).ok());
  std::vector<std::string> diagnostics;
  for (const v1::EvaluateResponse& response : out) {
    if (!response.has_scan_diagnostic()) continue;
    diagnostics.push_back(response.scan_diagnostic().source().file() + ": " +
                          response.scan_diagnostic().message());
  }
  return diagnostics;
}

TEST(ScanSessionOrderTest, TheJoinReadsResourcesInTheOrderTheHostSentThem) {
  const std::vector<std::string> in_order = JoinDiagnostics(/*reversed=*/false);
  // Reported once, at the service account: the asset read second, which states the other parent.
  ASSERT_THAT(in_order, ::testing::SizeIs(1));
  EXPECT_THAT(in_order[0],
              ::testing::StartsWith("account.ndjson: the inputs disagree on a parent"));
  EXPECT_THAT(in_order[0], ::testing::HasSubstr("projects/1041: parent organizations/111 (kept), "
                                                "not folders/789"));
  EXPECT_EQ(JoinDiagnostics(/*reversed=*/true), in_order);
}

}  // namespace
}  // namespace kmsguard::plugin
