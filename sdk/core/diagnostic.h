// Diagnostics for user content (rule files, snapshots, policy documents): collected, never thrown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::core {

// Where a problem is. Any field may be empty/zero when unknown. `line` and `column` are 1-based.
struct SourceLocation {
  std::string file;          // path or logical name ("<grpc>", "rules/x.yaml")
  int line = 0;              // 1-based; 0 when unknown
  int column = 0;            // 1-based; 0 when unknown
  std::string json_pointer;  // RFC 6901 pointer into a JSON document, e.g. "/RoleDetailList/3"
  std::string resource_id;   // ARN or id of the resource concerned

  // "file:line:col", "file#/pointer" or "resource-id", whatever is known.
  std::string ToString() const;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

enum class DiagnosticSeverity : std::uint8_t { kWarning, kError };

// One problem found in user content. `code` is stable snake_case with a stage prefix
// (rule_parse_error, snapshot_error, policy_parse_error, eval_error, ...).
struct Diagnostic {
  DiagnosticSeverity severity = DiagnosticSeverity::kError;
  std::string code;
  std::string message;
  SourceLocation location;

  // "file:line:col: error: message [code]".
  std::string ToString() const;
};

using Diagnostics = std::vector<Diagnostic>;

bool HasErrors(const Diagnostics& diagnostics);

// An error `code` at `at`, `pointer` appended to its JSON pointer (a place inside the document
// `at` names).
Diagnostic ErrorAt(const SourceLocation& at, std::string_view pointer, std::string code,
                   std::string message);

}  // namespace kmsguard::core
