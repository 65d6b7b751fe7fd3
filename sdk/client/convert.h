// Conversions between the plugin protocol's messages and the engine's model types: the one place
// both the host client and the plugin server translate, so the two sides cannot drift apart.
// None of these functions throws.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kmsguard/plugin/v1/plugin.pb.h"
#include "sdk/client/protocol.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/finding.h"
#include "sdk/model/resource.h"
#include "sdk/model/scan_summary.h"
#include "sdk/rules/rule.h"

namespace kmsguard::client {

// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD (one per maximal invalid
// subpart, as Unicode recommends). Every string that goes into a proto3 `string` field passes
// through it: protobuf refuses to parse a message with invalid UTF-8 there, so one stray byte
// (say %FF in a URL-encoded policy) would otherwise break the whole stream.
std::string ValidUtf8(std::string_view text);

plugin::v1::Severity ToProto(model::Severity severity);
// SEVERITY_UNSPECIFIED and values from a newer protocol become kMedium (the model's default).
model::Severity FromProto(plugin::v1::Severity severity);

plugin::v1::Status ToProto(model::Status status);
// STATUS_UNSPECIFIED and values from a newer protocol become kError: an unknown verdict must never
// read as a PASS.
model::Status FromProto(plugin::v1::Status status);

void ToProto(const core::SourceLocation& location, plugin::v1::SourceLocation* out);
core::SourceLocation FromProto(const plugin::v1::SourceLocation& location);

void ToProto(const model::Finding& finding, plugin::v1::Finding* out);
// The same, taking the finding's strings instead of copying them.
void ToProto(model::Finding&& finding, plugin::v1::Finding* out);
model::Finding FromProto(const plugin::v1::Finding& finding);

// The set-valued fields are written sorted.
void ToProto(const model::ScanSummary& summary, plugin::v1::ScanSummary* out);
model::ScanSummary FromProto(const plugin::v1::ScanSummary& summary);

void ToProto(const rules::Rule& rule, plugin::v1::RuleInfo* out);
RuleInfo FromProto(const plugin::v1::RuleInfo& rule);

PluginInfo FromProto(const plugin::v1::GetPluginInfoResponse& info);

void ToProto(const ResourceError& error, plugin::v1::ResourceError* out);
void ToProto(const core::Diagnostic& diagnostic, plugin::v1::ScanDiagnostic* out);
core::Diagnostic FromProto(const plugin::v1::ScanDiagnostic& diagnostic);
ResourceError FromProto(const plugin::v1::ResourceError& error);

// Serializes the document as compact JSON; invalid UTF-8 in strings is replaced by U+FFFD rather
// than failing.
void ToProto(const model::Resource& resource, plugin::v1::Resource* out);

// Parses document_json. Empty provider/region fields keep the model defaults ("aws", "global").
// Errors (InvalidArgument): the document is empty, not JSON (the message gives line and column),
// or nested deeper than kMaxDocumentDepth. Messages name the resource id.
absl::StatusOr<model::Resource> ResourceFromProto(const plugin::v1::Resource& resource);

// The nesting depth of JSON text ([ and { outside strings), without parsing it. Stops counting
// once `limit` is exceeded and returns limit + 1.
int JsonNestingDepth(std::string_view text, int limit);

}  // namespace kmsguard::client
