// One resource as the rules evaluating it see it: its document read once, on first use, and shared
// by every rule (the IAM rules read the compact IamDocument, generic conditions the normalized
// JSON). Lives for one Evaluate call, on one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sdk/engine/policy_view.h"
#include "sdk/engine/scan_joins.h"
#include "sdk/iam/policy_memo.h"
#include "sdk/model/iam_document.h"
#include "sdk/model/resource.h"

namespace kmsguard::engine {

class ResourceView {
 public:
  // `explanation`: whether the findings carry explanation lines (EvaluationOptions), so that
  // operators can skip building them.
  explicit ResourceView(const model::Resource& resource, bool explanation = true)
      : resource_(resource), explanation_(explanation) {}
  ResourceView(const ResourceView&) = delete;
  ResourceView& operator=(const ResourceView&) = delete;

  const model::Resource& resource() const { return resource_; }

  // The scan's Google Cloud and Azure resources joined once (scan_joins.h). A null member: this
  // resource is evaluated on its own (`kmsguard test`, `eval`); operators then join it alone.
  const gcp::Inventory* gcp_inventory() const { return joins_.gcp; }
  const azure::Inventory* azure_inventory() const { return joins_.azure; }
  const gcp::GrantIndex* gcp_grant_index() const { return joins_.gcp_grants; }
  void set_joins(const ScanJoins& joins) { joins_ = joins; }
  bool explanation() const { return explanation_; }

  // The document of an IAM resource (model/iam_document.h), read with simdjson from
  // `document_text` (or from `document`, serialized). A text that is not JSON gives a document
  // whose root_type_problem says so.
  const model::IamDocument& iam() const;

  // The analyses of the policy documents of iam(), shared by every rule and the remediation of
  // this resource (iam/policy_memo.h). Evaluation is single-threaded per resource.
  iam::PolicyAnalyses& analyses() const { return analyses_; }

  // The document in the normalized shape (docs/resource-model.md), for generic conditions; for
  // IAM resources and KMS keys with their policy documents decoded and normalized
  // (policy_view.h).
  const nlohmann::json& json() const;

  // Why `value`, a value of json(), is a policy value of a shape IAM does not allow (a path must
  // not step into it as if nothing were there); null for any other value.
  const std::string* ShapeProblem(const nlohmann::json& value) const;

 private:
  const model::Resource& resource_;
  const bool explanation_;
  ScanJoins joins_;
  mutable std::optional<model::IamDocument> iam_;
  mutable std::optional<nlohmann::json> normalized_;
  mutable ShapeProblems shape_problems_;  // addresses into normalized_
  mutable iam::PolicyAnalyses analyses_;
  mutable const nlohmann::json* json_ = nullptr;  // `document`, or normalized_
};

}  // namespace kmsguard::engine
