// The IAM actions of AWS KMS, for expanding a wildcard such as "kms:*" into the actions it grants
// when a least-privilege replacement must keep all of them but the blocked ones.
#pragma once

#include <string_view>
#include <vector>

namespace kmsguard::remediation {

// Every action of the `kms` service prefix, as listed in the AWS Service Authorization Reference
// ("Actions, resources, and condition keys for AWS Key Management Service"), API operations and
// permission-only actions alike. Actions AWS adds later are missing until this list is updated;
// the replacement says so whenever it expands a wildcard.
const std::vector<std::string_view>& KmsActionNames();

}  // namespace kmsguard::remediation
