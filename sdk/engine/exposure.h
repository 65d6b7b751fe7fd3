// Effective exposure of a grant: who actually holds what a principal's policies allow.
//
// A group's grant is held by its member users, a role's by whoever can assume it (its trust policy,
// sdk/iam/trust_policy.h), a user's by the user, a managed policy's by the identities it is
// attached to (counted, not named: a `Policies` entry does not list them).
#pragma once

#include <string>
#include <vector>

#include "sdk/model/iam_document.h"
#include "sdk/model/resource.h"

namespace kmsguard::engine {

struct Exposure {
  std::vector<std::string> exposed_to;  // "user/alice", "other-account 444455556666 (...)", ...
  std::string summary;                  // one line
  // Anyone outside the resource's account can use the grant (a role whose trust policy trusts
  // "*" or another account); `outside_reason` names them.
  bool outside_account = false;
  std::string outside_reason;
  std::vector<std::string> notes;  // what could not be determined (a trust policy that does not
                                   // parse), one line each; never an evaluation error
};

// Reads `document`, the document of `resource`. Never throws on a malformed document: what cannot
// be read is said in `summary` and `notes`.
Exposure ExposureOf(const model::Resource& resource, const model::IamDocument& document);
// The same, reading the resource's document first.
Exposure ExposureOf(const model::Resource& resource);

}  // namespace kmsguard::engine
