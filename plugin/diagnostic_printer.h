#pragma once

#include <ostream>
#include <string_view>

#include "sdk/core/diagnostic.h"

namespace kmsguard::plugin {

// Writes "file:line:col: severity: message [code]" and a newline; when the location has a line
// that `source_text` holds, also that line and a caret under the column.
void PrintDiagnostic(std::ostream& out, const core::Diagnostic& diagnostic,
                     std::string_view source_text = {});

}  // namespace kmsguard::plugin
