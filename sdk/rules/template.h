// Message and remediation templates: text with `{{variable}}` and `{{variable | filter}}`
// placeholders, nothing else (no expressions, no loops), so a rule file can never run code. Checked at load time, rendered by the
// engine for each finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::rules {

// Variables every template may use. `param.<name>` is also allowed for each declared parameter.
//   resource.name, resource.id (ARN), resource.type (AWS::IAM::Role), resource.kind (role),
//   resource.partition, resource.account, resource.region,
//   policy.names (failing policy names, ", "-joined), policy.version (the default version id of a
//   managed policy; empty for principals), evidence.actions, evidence.resources.
//   evidence.command (one line), evidence.terraform (several lines: see KeepsLines).
const std::vector<std::string_view>& TemplateVariables();

// Whether the variable's value keeps its newlines when rendered without a filter: its value is
// text the engine wrote line by line (evidence.terraform, HCL in which every input value is
// quoted), so each line is made terminal-safe on its own. Every other value has its newlines
// escaped, so no value can start a line of its own in a snippet.
bool KeepsLines(std::string_view variable);

// The quoting filters, for values pasted into commands and code (names from IaC inputs are
// untrusted): `shell` renders a POSIX shell word ('...' with each ' as '\''), `hcl` a quoted
// Terraform string ("..." with \ and " escaped, "${" and "%{" doubled to $${ and %%{).
const std::vector<std::string_view>& TemplateFilters();

// A problem in a template: `offset`/`length` locate the offending text inside the template.
struct TemplateError {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string message;
};

// Returns every problem in `text`: an unterminated `{{`, an empty or malformed name, an unknown
// filter, or a name for which `is_known` is false.
std::vector<TemplateError> CheckTemplate(std::string_view text,
                                         const std::function<bool(std::string_view)>& is_known);

using TemplateValues = std::map<std::string, std::string, std::less<>>;

// Replaces each `{{name}}` (spaces inside the braces allowed) by its value. A name without a
// value renders as an empty string; text that is not a placeholder is copied unchanged. Values are
// inserted with control characters and invalid UTF-8 escaped (core::TerminalSafe), so no value
// can start a new line in a rendered snippet; then the placeholder's filter, if any, quotes it.
std::string RenderTemplate(std::string_view text, const TemplateValues& values);

// A template scanned once, each placeholder bound to a slot of the values it is rendered with: a
// rule's templates are rendered for every finding it makes, and scanning them and looking names
// up in a map of strings for each was most of a finding's message cost. Renders exactly what
// RenderTemplate renders for the same values.
class CompiledTemplate {
 public:
  CompiledTemplate() = default;  // renders as ""
  // `slot_of(name)`: the index in Render's `values` of the variable `name`, or -1 when it has no
  // value (the placeholder renders empty).
  CompiledTemplate(std::string text, const std::function<int(std::string_view)>& slot_of);

  // The text with each placeholder replaced by `values[slot]`, escaped and quoted as
  // RenderTemplate says; a slot past the end of `values` renders empty.
  std::string Render(std::span<const std::string_view> values) const;

 private:
  enum class Filter : std::uint8_t { kNone, kShell, kHcl };
  // The text before a placeholder, [begin, end) of text_, then the placeholder's slot.
  struct Piece {
    std::size_t begin = 0;
    std::size_t end = 0;
    int slot = -1;
    Filter filter = Filter::kNone;
    bool lines = false;  // KeepsLines(the variable)
  };
  std::string text_;
  std::vector<Piece> pieces_;
  std::size_t tail_ = 0;  // text_ from here on follows the last placeholder
};

}  // namespace kmsguard::rules
