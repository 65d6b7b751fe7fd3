#include "plugin/scan_baseline.h"

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/diagnostic_printer.h"
#include "plugin/input_file.h"

namespace kmsguard::plugin {

absl::StatusOr<std::shared_ptr<render::BaselineComparison>> LoadBaseline(const std::string& path,
                                                                        std::size_t max_bytes,
                                                                        std::ostream& err) {
  const auto refuse = [&](std::string message) {
    core::Diagnostic diagnostic;
    diagnostic.code = "baseline_error";
    diagnostic.message = std::move(message);
    diagnostic.location.file = path;
    PrintDiagnostic(err, diagnostic);
    return absl::InvalidArgumentError("the baseline cannot be read");
  };
  if (path == InputFile::kStandardInput) {
    return refuse("the baseline must be a file: standard input is for the snapshot");
  }
  InputFile file(path);
  if (!file.status().ok()) return refuse(std::string(file.status().message()));
  absl::StatusOr<std::string> text = file.ReadAll(max_bytes);
  if (!text.ok()) return refuse(std::string(text.status().message()));
  if (!file.status().ok()) return refuse(std::string(file.status().message()));
  render::BaselineRead read = render::ReadBaseline(*text, path);
  if (!read.diagnostics.empty()) {
    for (const core::Diagnostic& diagnostic : read.diagnostics) {
      PrintDiagnostic(err, diagnostic, *text);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the baseline has ", read.diagnostics.size(), " problem(s)"));
  }
  return std::make_shared<render::BaselineComparison>(std::move(read.baseline));
}

bool IsNewOpenFinding(const model::Finding& finding, render::BaselineComparison& baseline) {
  if (finding.status == model::Status::kError) baseline.MarkUnevaluated(finding.resource_id);
  if (finding.status != model::Status::kFail && finding.status != model::Status::kWarning) {
    return false;
  }
  return baseline.Classify(finding, {}).state == render::BaselineState::kNew;
}

}  // namespace kmsguard::plugin
