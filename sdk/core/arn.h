// Amazon Resource Names read as text. Source: AWS General Reference, "Amazon Resource Names
// (ARNs)": arn:PARTITION:SERVICE:REGION:ACCOUNT-ID:RESOURCE, where RESOURCE may itself hold
// colons; an account id is 12 digits. One reader for every stage that takes an ARN apart
// (principals, trust policies, the finding's account, baselines, rule test resources).
#pragma once

#include <optional>
#include <string_view>

namespace kmsguard::core {

// The fields of an ARN, viewing the text they were split from.
struct ArnFields {
  std::string_view partition, service, region, account, resource;
};

// Splits `text` when it starts with "arn:" and has the five colons of six fields (the resource
// keeps any further colons); nothing otherwise. Fields may be empty (IAM ARNs have no region).
std::optional<ArnFields> SplitArn(std::string_view text);

// True for exactly 12 ASCII digits.
bool IsAccountId(std::string_view text);

}  // namespace kmsguard::core
