// Snapshot input: format detection and dispatch to the adapter for the format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sdk/adapters/authorization_details.h"
#include "sdk/adapters/cloudformation.h"

namespace kmsguard::adapters {

enum class InputFormat {
  kAuto,                  // detect from the content
  kAuthorizationDetails,  // aws iam get-account-authorization-details ("gaad")
  kConfig,                // AWS Config configuration items ("config")
  kTerraform,             // terraform show -json, plan or state ("terraform")
  kCloudFormation,        // CloudFormation template, JSON or YAML ("cloudformation")
  kGcpAssetInventory,     // gcloud asset export, NDJSON ("gcp-cai")
  kAzureCli,              // az CLI / ARM REST / Resource Graph JSON ("azure-cli")
  kArmTemplate,           // Azure Resource Manager template, JSON ("arm-template")
  kGcpIamPolicySearch,    // gcloud asset search-all-iam-policies --format=json ("gcp-iam-search")
};

// "auto", "gaad", "config", "terraform", "cloudformation", "gcp-cai", "azure-cli",
// "arm-template", "gcp-iam-search".
std::string_view InputFormatName(InputFormat format);
// Every format's name, "auto" first (the command line's choices).
std::vector<std::string> InputFormatNames();
// The inverse of InputFormatName; false for any other text.
bool ParseInputFormat(std::string_view name, InputFormat* format);

// The format of `text` judged from its content (keys, not file names), or kAuto when it is none
// of them. JSON is recognized by its top-level keys: authorization details by UserDetailList,
// GroupDetailList, RoleDetailList or Policies; Config by configurationItems,
// baseConfigurationItems, configurationItem, invokingEvent, fileVersion, or resourceType with
// configuration; Terraform by planned_values, resource_changes or prior_state (or
// format_version with values); CloudFormation by AWSTemplateFormatVersion, or Resources whose
// entries have a Type "AWS::..."; a Cloud Asset Inventory export (`gcloud asset export`, NDJSON)
// by a first line that is an object with a string "name" and "asset_type" (or "assetType"); Azure
// CLI, ARM REST and Resource Graph output (adapters/azure_cli.h, LooksLikeAzureCliOutput) by the
// shape of its first element, an ARM template (adapters/azure_arm_template.h) by a "$schema"
// naming deploymentTemplate.json, and `gcloud asset search-all-iam-policies` output
// (adapters/gcp_asset_inventory.h, LooksLikeIamPolicySearch) by a list (or {"results": [...]})
// whose first element is an object with a string "resource" and an object "policy", when no key
// above decided (in that order; none of those shapes has the others' keys). `gcloud …
// get-iam-policy` output (adapters/gcp_asset_inventory.h, LooksLikeIamPolicy) is kAuto: it does not
// name the resource it is attached to, so it is no format a FILE can be read in (ReadSnapshot says
// so). Text that is not JSON is tried as a YAML template. Gzip data is decompressed first.
InputFormat DetectInputFormat(std::string_view text);

// Reads one snapshot file's text (gzip data is decompressed first) as `format`, or as the format
// DetectInputFormat finds. Text in no known format, or not in the format asked for, gives an error
// diagnostic saying what was expected and what was found; `get-iam-policy` output read with
// kAuto gives one saying that it does not name its resource and how to give it
// (`kmsguard scan --gcp-policy RESOURCE=FILE`, which calls ReadGcloudIamPolicy). Invalid UTF-8 and
// nesting deeper than 128 levels are reported with their position; the rest still loads, and the
// policies they touched are ERRORs. A CloudFormation template's parameters take `parameters` values
// (else their Default), and so do an ARM template's (else their defaultValue). Never throws.
AdapterResult ReadSnapshot(std::string_view text, std::string_view source_name,
                           InputFormat format = InputFormat::kAuto,
                           const CloudFormationParameters& parameters = {});

}  // namespace kmsguard::adapters
