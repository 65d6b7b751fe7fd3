// Input adapter: `aws iam get-account-authorization-details` output -> normalized resources.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters {

struct AdapterResult {
  std::vector<model::Resource> resources;
  core::Diagnostics diagnostics;  // per-entry problems (file + JSON pointer); the rest still load
};

// Reads the JSON text of an authorization-details export (UserDetailList, GroupDetailList,
// RoleDetailList, Policies; any list may be missing or null). Each user, group and role becomes one
// resource (see sdk/model/resource.h for the document shape); group membership is filled in on
// groups from the users' GroupList. Each entry of Policies becomes one AWS::IAM::Policy resource
// whose document is its default version; when that version cannot be found the resource is still
// emitted (without "document", so the rules report an ERROR) and a diagnostic names the entry's
// PolicyVersionList. Text that is not JSON gives one diagnostic with line:column.
AdapterResult ReadAuthorizationDetails(std::string_view json_text, std::string_view source_name);

// Turns a principal given in the export's own shape (a UserDetailList/GroupDetailList/
// RoleDetailList entry, or a Policies entry for "AWS::IAM::Policy") into the normalized document;
// a document already normalized is returned as is. Used for resources that arrive over gRPC.
// `type` is e.g. "AWS::IAM::Role".
nlohmann::json NormalizePrincipalDocument(std::string_view type, const nlohmann::json& document);

}  // namespace kmsguard::adapters
