// What the fuzz targets share: the built-in rules, loaded once per process, and a fixed role to
// run freshly loaded rules on.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "sdk/azure/inventory.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/scan_joins.h"
#include "sdk/gcp/effective_grant.h"
#include "sdk/gcp/inventory.h"
#include "sdk/model/resource.h"
#include "sdk/rules/rule.h"

namespace kmsguard::fuzz {

// The built-in rules, as `kmsguard serve` loads them without --rules.
inline std::shared_ptr<const engine::Evaluator> BuiltinEvaluator() {
  static const std::shared_ptr<const engine::Evaluator> evaluator = [] {
    rules::LoadResult loaded = rules::LoadBuiltinRules();
    if (loaded.rules.empty()) __builtin_trap();  // the shipped rules always load
    return std::make_shared<const engine::Evaluator>(
        std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  }();
  return evaluator;
}

// Every resource judged as a scan judges it: Google Cloud and Azure resources over the scan's
// joined picture (gcp::BuildInventory, azure::BuildInventory), the others on their own.
inline void EvaluateAll(const std::vector<model::Resource>& resources) {
  const std::shared_ptr<const engine::Evaluator> evaluator = BuiltinEvaluator();
  const gcp::InventoryResult gcp_joined = gcp::BuildInventory(resources);
  const azure::InventoryResult azure_joined = azure::BuildInventory(resources);
  const gcp::GrantIndex gcp_grants(gcp_joined.inventory);
  const engine::ScanJoins joins{&gcp_joined.inventory, &azure_joined.inventory, &gcp_grants};
  for (const model::Resource& resource : resources) {
    (void)evaluator->Evaluate(resource, model::JoinedAtScanEnd(resource.provider) ? joins : engine::ScanJoins{});
  }
}

// A role with an inline policy that grants kms:Decrypt on every key and one that is scoped, so a
// rule's paths, templates and built-ins have something to read.
inline void EvaluateSampleRole(std::vector<rules::Rule> loaded) {
  static const model::Resource role = [] {
    model::Resource r;
    r.type = model::kIamRole;
    r.id = "arn:aws:iam::111122223333:role/fuzz";
    r.name = "fuzz";
    r.account = "111122223333";
    r.partition = "aws";
    r.document = nlohmann::json::parse(R"({
      "name": "fuzz", "arn": "arn:aws:iam::111122223333:role/fuzz",
      "inline_policies": [
        {"name": "all", "document": {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}},
        {"name": "scoped", "document": {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": "kms:*", "Resource":
           "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}}],
      "attached_managed_policies": []})");
    return r;
  }();
  const engine::Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(loaded)));
  (void)evaluator.Evaluate(role);
}

}  // namespace kmsguard::fuzz
