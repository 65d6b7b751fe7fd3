#include "sdk/core/diagnostic.h"

#include <utility>

namespace kmsguard::core {

std::string SourceLocation::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!json_pointer.empty()) out += (out.empty() ? "" : "#") + json_pointer;
  if (!resource_id.empty()) out += (out.empty() ? "" : " ") + std::string("(") + resource_id + ")";
  return out.empty() ? "<unknown>" : out;
}

std::string Diagnostic::ToString() const {
  return location.ToString() + ": " +
         (severity == DiagnosticSeverity::kError ? "error" : "warning") + ": " + message + " [" +
         code + "]";
}

Diagnostic ErrorAt(const SourceLocation& at, std::string_view pointer, std::string code,
                   std::string message) {
  Diagnostic d;
  d.code = std::move(code);
  d.message = std::move(message);
  d.location = at;
  d.location.json_pointer += pointer;
  return d;
}

bool HasErrors(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics) {
    if (d.severity == DiagnosticSeverity::kError) return true;
  }
  return false;
}

}  // namespace kmsguard::core
