// Input adapter: AWS Config configuration items (AWS::IAM::User, AWS::IAM::Group, AWS::IAM::Role,
// AWS::IAM::Policy) -> the normalized resources of sdk/model/resource.h, the same ones
// ReadAuthorizationDetails produces for the same account.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// Reads configuration items in any of the shapes AWS Config produces (docs/input-formats.md):
//  - API responses (get-resource-config-history, batch-get-resource-config): {"configurationItems"
//    or "baseConfigurationItems": [...]}, keys `arn`/`accountId`, `configuration` a JSON string;
//  - snapshot and history files delivered to S3: {"fileVersion", "configurationItems": [...]},
//    keys `ARN`/`awsAccountId`, `configuration` an object (decompress .json.gz first: Gunzip);
//  - rule invocations: {"invokingEvent": "<JSON text with configurationItem>", ...}, the decoded
//    event {"configurationItem": {...}}, a bare item, or a JSON list of items.
// Items of other resource types and deleted items are skipped; when one resource has several
// items (history), the newest is read. Policy documents are kept as given (URL-encoded text as a
// rule, or an object); an array `policyDocument` is read element by element (see the docs).
// Problems are diagnostics by JSON pointer; the other items still load. Never throws.
AdapterResult ReadConfigItems(std::string_view json_text, std::string_view source_name);

// Same, on an already parsed document (ReadSnapshot parses once).
AdapterResult ReadConfigItemsJson(const nlohmann::json& root, std::string_view source_name);

}  // namespace kmsguard::adapters
