#include "plugin/eval_command.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "plugin/diagnostic_printer.h"
#include "plugin/rule_tools.h"
#include "plugin/version.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/core/yaml_text.h"
#include "sdk/engine/evaluator.h"
#include "sdk/render/render.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::plugin {

CLI::App* AddEvalCommand(CLI::App& app, EvalFlags* flags) {
  CLI::App* eval = app.add_subcommand("eval", "Dry-run one rule on one input and show why");
  eval->add_option("--rule", flags->rule_id, "Rule id (built-in, or from --rules)")->required();
  eval->add_option("--input", flags->input,
                   "A resource file ({type, document, ...}, as in rule tests; JSON or YAML) or "
                   "a snapshot `scan` reads")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--rules", flags->rule_dirs,
                   "Also load the rule files under DIR, or the rule file FILE (repeatable)")
      ->type_name("DIR|FILE")
      // One value per flag, as for scan --rules.
      ->allow_extra_args(false)
      ->check(CLI::Validator(CLI::ExistingPath).description(""));
  eval->add_flag("--explain", flags->explain,
                 "Print why: each test of the condition with its result, statements, exceptions");
  eval->add_option("--format", flags->format, "Output format (docs/findings.md)")
      ->check(CLI::IsMember(render::RendererNames()))
      ->capture_default_str();
  eval->footer(
      "Exit status: 0 no FAIL and no problem; 1 a FAIL; 2 no FAIL, but the rule or the input "
      "could not be loaded, part of the input could not be read, or the rule could not be "
      "evaluated (an ERROR finding).");
  return eval;
}

int RunEval(const EvalFlags& flags) {
  absl::StatusOr<ToolRules> tool = LoadToolRules(flags.rule_dirs, std::cerr);
  if (!tool.ok()) {
    std::cerr << "kmsguard eval: " << tool.status().message() << "\n";
    return 2;
  }
  std::vector<rules::Rule> selected;
  for (const rules::Rule& rule : tool->loaded.rules) {
    if (rule.id == flags.rule_id) selected.push_back(rule);
  }
  if (selected.empty()) {
    std::cerr << "kmsguard eval: no rule \"" << flags.rule_id << "\" is loaded"
              << (tool->errors > 0 ? " (see the errors above)" : "") << "\n";
    return 2;
  }

  std::ifstream in(flags.input, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<model::Resource> resources;
  // A hand-written resource first ({type, document}); anything else is a snapshot.
  bool single = false;
  bool input_errors = false;
  // Text YAML does not allow (a raw NUL, say) is not read as a resource, where yaml-cpp would
  // misread it; the snapshot reader then says what the input is.
  const bool yaml_text = !core::CheckYamlText(text);
  try {
    const YAML::Node node = yaml_text ? YAML::Load(text) : YAML::Node();
    if (node.IsMap() && node["type"].IsDefined() && node["document"].IsDefined()) {
      single = true;
      std::string error;
      std::optional<model::Resource> resource = ResourceFromJson(rules::YamlToJson(node), &error);
      if (!resource) {
        std::cerr << flags.input << ": error: " << error << " [eval_input_error]\n";
        return 2;
      }
      resource->source.file = flags.input;
      resources.push_back(*std::move(resource));
    }
  } catch (const YAML::Exception&) {
    // Not YAML: the snapshot reader reports what it is not.
  }
  if (!single) {
    adapters::AdapterResult read =
        adapters::ReadSnapshot(text, flags.input, adapters::InputFormat::kAuto);
    for (const core::Diagnostic& d : read.diagnostics) {
      PrintDiagnostic(std::cerr, d, text);
      input_errors = input_errors || d.severity == core::DiagnosticSeverity::kError;
    }
    resources = std::move(read.resources);
    if (resources.empty() && input_errors) return 2;
  }

  const engine::Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(selected)));
  std::vector<model::Finding> findings;
  model::ScanSummary summary;
  for (const model::Resource& resource : resources) {
    ++summary.resources_received;
    if (evaluator.rule_set().ForType(resource.type).empty()) {
      if (single) {
        std::cerr << "kmsguard eval: rule " << flags.rule_id << " does not read " << resource.type
                  << "\n";
      }
      continue;
    }
    ++summary.resources_evaluated;
    for (model::Finding& f : evaluator.Evaluate(resource)) findings.push_back(std::move(f));
  }
  for (const model::Finding& f : findings) {
    switch (f.status) {
      case model::Status::kPass:
        ++summary.pass;
        break;
      case model::Status::kWarning:
        ++summary.warning;
        break;
      case model::Status::kFail:
        ++summary.fail;
        break;
      case model::Status::kError:
        ++summary.error;
        break;
      case model::Status::kSuppressed:
        ++summary.suppressed;
        break;
    }
  }
  if (findings.empty()) {
    std::cerr << "kmsguard eval: no finding: the rule does not apply to the input (its `when`, "
                 "resource types, or the operator skipped it)\n";
  }
  render::RenderOptions options;
  options.product.name = kPluginName;
  options.product.version = kPluginVersion;
  options.table.show_pass = true;
  options.table.explain = flags.explain;
  const render::Renderer* renderer = render::FindRenderer(flags.format);
  if (renderer == nullptr) renderer = render::FindRenderer("table");
  std::cout << renderer->render(findings, summary, options);
  if (summary.fail > 0) return 1;
  // An ERROR is a verdict the rule could not reach: never reported as "nothing wrong".
  return summary.error > 0 || input_errors ? 2 : 0;
}

}  // namespace kmsguard::plugin
