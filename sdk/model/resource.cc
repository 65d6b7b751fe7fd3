#include "sdk/model/resource.h"

#include "absl/strings/ascii.h"
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

std::string CanonicalId(std::string_view provider, std::string_view text) {
  std::string out(text);
  if (provider == "azure") absl::AsciiStrToLower(&out);
  return out;
}

}  // namespace kmsguard::model
