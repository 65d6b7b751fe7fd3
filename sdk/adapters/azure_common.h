// Helpers shared by the Azure input adapters (azure_cli, azure_arm_template, azure_terraform):
// the normalized Azure document of docs/resource-model.md ("Azure resources (provider
// `azure`)"), built from a resource in the ARM REST shape. Internal to sdk/adapters; not a public
// API.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters::azure_internal {

// Parses `text` (recording line:col of the keys down to `position_depth`) and reads the value
// with `read(root, positions)`, which returns an AdapterResult. A resource whose document holds
// text read with replacements (invalid UTF-8, a repeated key) gets a problem saying so; `what`
// names the thing read ("resource", "element"). What does not parse is a diagnostic, and nothing
// is read.
template <typename Read>
AdapterResult ReadJsonText(std::string_view text, std::string_view source_name, int position_depth,
                           std::string_view what, Read read) {
  AdapterResult result;
  nlohmann::json root;
  bool lossy = false;
  internal::JsonPositions positions;
  if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root,
                               &result.diagnostics, &lossy, {&positions, position_depth, {}})) {
    return result;
  }
  AdapterResult read_result = read(root, &positions);
  result.resources = std::move(read_result.resources);
  for (core::Diagnostic& d : read_result.diagnostics) result.diagnostics.push_back(std::move(d));
  if (lossy) {
    for (model::Resource& r : result.resources) {
      if (internal::ContainsReplacementChar(r.document)) {
        r.document["problems"].push_back(
            std::string("the ") + std::string(what) +
            " was read with replacements (invalid UTF-8 or a repeated key)");
      }
    }
  }
  return result;
}

using model::kAzureRoleAssignment;
using model::kAzureRoleDefinition;
using model::kAzureVault;  // the four types: sdk/model/resource.h
using model::kAzureVaultAccessPolicies;

// The canonical spelling of `type` when it names one of the four types above in any case
// ("microsoft.keyvault/vaults" from Resource Graph); "" otherwise.
std::string_view CanonicalType(std::string_view type);

// ASCII lower case.
std::string Lower(std::string_view text);

// The subscription GUID an ARM id or scope holds ("/subscriptions/X/..."), lower case; "" when it
// holds none, or a placeholder ("{subscriptionId}", "[parameters(...)]").
std::string SubscriptionOf(std::string_view id);

// {"kind": kind, "format": format, "api_version": api_version}.
nlohmann::json Origin(std::string_view kind, std::string_view format, std::string_view api_version);

// What the normalizer needs besides the input resource.
struct NormalizeContext {
  std::string_view file;
  // The input resource's place in the file ("/value/3"); diagnostics name it plus the field.
  std::string source_pointer;
  // Maps a pointer into the normalized document to the pointer (relative to source_pointer) of
  // the same value in the input; identity when null.
  std::string (*source_of)(const std::string& doc_pointer) = nullptr;
  // Pointers (into the normalized document) whose values are unresolved text: kept as they are,
  // not type-checked.
  const std::set<std::string>* unknown = nullptr;
  core::Diagnostics* diagnostics = nullptr;
};

// Builds the normalized document of `canonical_type` from `arm` (ARM REST shape: id, name, type,
// location, properties{...}). Fields of the wrong type are left out and recorded as "problems"
// entries (and error diagnostics naming the input's pointer); the rest is kept. "origin" is set
// from `origin`, "unknown" from the context's list (only the pointers the document holds), and
// "problems" is always present.
nlohmann::json NormalizeDocument(std::string_view canonical_type, const nlohmann::json& arm,
                                 const nlohmann::json& origin, const NormalizeContext& context);

// A model::Resource for a normalized document: provider "azure", id (the document's id, else
// `fallback_id`), type, name, account (the subscription of the id, else of the scope or vault
// id), region (the location), source.
model::Resource MakeResource(nlohmann::json document, std::string_view fallback_id,
                             core::SourceLocation source);

}  // namespace kmsguard::adapters::azure_internal
