#include "sdk/model/resource.h"

#include "sdk/core/json_text.h"

namespace kmsguard::model {

std::string DocumentText(const Resource& resource) {
  if (!resource.document_text.empty()) return resource.document_text;
  return core::DumpJson(resource.document);
}

nlohmann::json DocumentJson(const Resource& resource) {
  if (resource.document_text.empty()) return resource.document;
  return nlohmann::json::parse(resource.document_text, nullptr, /*allow_exceptions=*/false);
}

bool JoinedAtScanEnd(std::string_view provider) { return provider == "gcp" || provider == "azure"; }

}  // namespace kmsguard::model
