#include "sdk/engine/resource_view.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace kmsguard::engine {

namespace {

bool IsIamType(const std::string& type) {
  return type == model::kIamUser || type == model::kIamGroup || type == model::kIamRole ||
         type == model::kIamManagedPolicy;
}

}  // namespace

const model::IamDocument& ResourceView::iam() const {
  if (iam_) return *iam_;
  if (resource_.document_tree != nullptr) {
    iam_ = model::ReadIamDocument(resource_.type, resource_.document_tree);
    return *iam_;
  }
  core::JsonTreeResult parsed;
  if (!resource_.document_text.empty()) {
    parsed = core::ParseJsonTree(resource_.document_text);
  } else {
    parsed = core::ParseJsonTree(model::DocumentText(resource_));
  }
  if (parsed.tree == nullptr) {
    iam_.emplace();
    iam_->parse_problem = parsed.message;
  } else {
    iam_ = model::ReadIamDocument(resource_.type, std::move(parsed.tree));
  }
  return *iam_;
}

const nlohmann::json& ResourceView::json() const {
  if (json_ != nullptr) return *json_;
  if (IsIamType(resource_.type)) {
    // Generic conditions read policy documents decoded and in one shape (policy_view.h), so the
    // view is a copy even when the resource holds its document as a value.
    normalized_ = resource_.document_text.empty() ? resource_.document
                                                  : model::ToNormalizedJson(resource_.type, iam());
    shape_problems_ = NormalizePolicyDocuments(resource_.type, *normalized_);
  } else if (resource_.type == model::kKmsKey) {
    // A key policy is read like the IAM documents: decoded and in one shape.
    normalized_ = model::DocumentJson(resource_);
    shape_problems_ = NormalizePolicyDocuments(resource_.type, *normalized_);
  } else if (resource_.document_text.empty()) {
    json_ = &resource_.document;
    return *json_;
  } else {
    normalized_ = model::DocumentJson(resource_);
  }
  json_ = &*normalized_;
  return *json_;
}

const std::string* ResourceView::ShapeProblem(const nlohmann::json& value) const {
  const auto it = shape_problems_.find(&value);
  return it == shape_problems_.end() ? nullptr : &it->second;
}

}  // namespace kmsguard::engine
