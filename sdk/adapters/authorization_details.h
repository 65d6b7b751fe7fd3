// Input adapter: `aws iam get-account-authorization-details` output -> normalized resources.
#pragma once

#include <cstddef>
#include <functional>
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

// Supplies the bytes of a snapshot: copies up to `size` bytes into `buffer` and returns how many;
// 0 at the end of the input.
using ByteSource = std::function<std::size_t(char* buffer, std::size_t size)>;
// Receives each resource as soon as it is read.
using ResourceSink = std::function<void(model::Resource)>;

// The streaming form of ReadAuthorizationDetails, for exports of any size: the text is read in
// chunks and only the entry being read is held, so memory does not grow with the file (except for
// groups, which are handed on at the end of the input, when every user's GroupList has been seen;
// IAM allows a few hundred per account). The input may hold several exports one after another
// (the pages of a paginated `get-account-authorization-details`, IsTruncated/Marker); pointers are
// within their own page, and a resource of a later page also carries the line it starts on.
// Invalid UTF-8 and nesting deeper than 128 levels are reported with line:column and cost only the
// policy that held them. A syntax error (a truncated file) is one error diagnostic with
// line:column; every entry before it has been handed to `sink`. Returns the diagnostics. Never
// throws (except what `sink` or `source` throw).
core::Diagnostics StreamAuthorizationDetails(const ByteSource& source, std::string_view source_name,
                                             const ResourceSink& sink);

// Turns a principal given in the export's own shape (a UserDetailList/GroupDetailList/
// RoleDetailList entry, or a Policies entry for "AWS::IAM::Policy") into the normalized document;
// a document already normalized is returned as is. Used for resources that arrive over gRPC.
// `type` is e.g. "AWS::IAM::Role".
nlohmann::json NormalizePrincipalDocument(std::string_view type, const nlohmann::json& document);

}  // namespace kmsguard::adapters
