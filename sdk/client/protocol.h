// The plugin protocol (proto/kmsguard/plugin/v1/plugin.proto) seen from C++ code: its constants,
// and the engine-typed results a host gets back. Free of gRPC and protobuf types, so hosts and the
// server can include it without generated headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"

namespace kmsguard::client {

// GetPluginInfoResponse.protocol_version of the protocol this code speaks.
inline constexpr std::uint32_t kProtocolVersion = 1;

// The service name under which grpc.health.v1 reports whether rules are loaded.
inline constexpr char kPolicyPluginServiceName[] = "kmsguard.plugin.v1.PolicyPlugin";

// Initial metadata the plugin sends on every Evaluate call: which replica took it (serve
// --replica-id: $KMSGUARD_REPLICA_ID, else "<hostname>/<pid>") and a digest of the rule set the
// call is evaluated with (one rule set per call, even across a reload).
inline constexpr char kReplicaIdHeader[] = "kmsguard-replica";
inline constexpr char kRulesVersionHeader[] = "kmsguard-rules-version";

// Defaults for both sides: the largest message either side accepts, and the most resources one
// ResourceBatch may carry.
inline constexpr int kDefaultMaxMessageBytes = 16 * 1024 * 1024;
inline constexpr int kDefaultMaxBatchSize = 1000;

// A resource JSON document nested deeper than this is rejected before it is parsed into a DOM, so
// that no recursive code (copy, dump, rule evaluation) can exhaust the stack on hostile input.
inline constexpr int kMaxDocumentDepth = 128;

// Stable codes of ResourceError (each documented under docs/errors/).
inline constexpr char kResourceInvalid[] = "resource_invalid";         // no id or no type
inline constexpr char kResourceParseError[] = "resource_parse_error";  // document_json not JSON
inline constexpr char kResourceAdaptError[] = "resource_adapt_error";  // adapter could not read it
inline constexpr char kResourceTooLarge[] = "resource_too_large";      // over the message limit
inline constexpr char kEvalError[] = "eval_error";                     // evaluator failed

struct RuleInfo {
  std::string id;
  std::string version;
  std::string title;
  model::Severity severity = model::Severity::kMedium;
  std::vector<model::ComplianceRef> compliance;
  std::vector<std::string> resource_types;
  std::string provider;
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::uint32_t protocol_version = 0;
  std::vector<RuleInfo> rules;
  std::int64_t max_message_bytes = 0;
  int max_batch_size = 0;
  std::vector<std::string> resource_types;
};

// A resource that could not be evaluated at all.
struct ResourceError {
  std::string resource_id;
  std::string message;
  std::string code;  // one of the k*Error / kResource* codes above
  core::SourceLocation source;
};

struct ScanResult {
  std::vector<model::Finding> findings;
  std::vector<ResourceError> resource_errors;
  // Problems of the scan's joined picture (v1::ScanDiagnostic), not of one resource.
  std::vector<core::Diagnostic> diagnostics;
  model::ScanSummary summary;
  std::string scan_id;
};

}  // namespace kmsguard::client
