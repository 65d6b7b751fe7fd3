// Terraform addresses and references read as text. Source: Terraform's "Resource Addressing"
// (https://developer.hashicorp.com/terraform/cli/state/resource-addressing):
// [module.NAME[KEY].]...[data.]TYPE.NAME[KEY], where an instance KEY is a number or a quoted
// string that may hold dots, brackets and escaped quotes. One reader for every stage that takes
// an address apart (the Terraform adapters' references and configuration names, the remediation
// that names the resource a grant was read from).
#pragma once

#include <string_view>
#include <vector>

namespace kmsguard::core {

// `address` split at the dots outside [...] and outside quoted keys; each part views the text
// (an instance key keeps its brackets and escapes). One part for text without such a dot.
std::vector<std::string_view> SplitTerraformAddress(std::string_view address);

}  // namespace kmsguard::core
