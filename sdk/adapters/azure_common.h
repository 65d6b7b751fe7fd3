// Helpers shared by the Azure input adapters (azure_cli, azure_arm_template, azure_terraform):
// the normalized Azure document of docs/resource-model.md ("Azure resources (provider
// `azure`)"), built from a resource in the ARM REST shape. Internal to sdk/adapters; not a public
// API.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::adapters::azure_internal {

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
