// Fuzz target: one IAM policy document as text (plain JSON or URL-encoded, as exports hold it),
// parsed (iam::ParsePolicyText) and, when it parses, decided for the headline query
// (kms:Decrypt / kms:ReEncryptFrom on every key) with the analysis the engine memoizes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<kmsguard::iam::PolicyDocument> parsed = kmsguard::iam::ParsePolicyText(text);
  if (!parsed.ok()) return 0;
  kmsguard::iam::GrantQuery query;
  (void)kmsguard::iam::AnalyzeGrant(*parsed, query);
  return 0;
}
