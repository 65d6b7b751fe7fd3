#include "plugin/rule_tools.h"

#include "plugin/diagnostic_printer.h"
#include "sdk/core/arn.h"
#include "sdk/core/json_text.h"

namespace kmsguard::plugin {

absl::StatusOr<ToolRules> LoadToolRules(const std::vector<std::string>& dirs, std::ostream& log) {
  absl::StatusOr<RuleSources> sources = CollectRuleSources(dirs);
  if (!sources.ok()) return sources.status();
  ToolRules out;
  out.sources = *std::move(sources);
  out.loaded = rules::LoadRuleFiles(out.sources.files);
  core::Diagnostics all = out.sources.problems;
  all.insert(all.end(), out.loaded.diagnostics.begin(), out.loaded.diagnostics.end());
  for (const core::Diagnostic& d : all) {
    if (d.severity != core::DiagnosticSeverity::kError) continue;
    PrintDiagnostic(log, d, SourceText(out.sources.files, d.location.file));
    ++out.errors;
  }
  return out;
}

std::optional<model::Resource> ResourceFromJson(const nlohmann::json& value, std::string* error) {
  if (!value.is_object()) {
    *error = "a resource must be a map with \"type\" and \"document\"";
    return std::nullopt;
  }
  static const char* const kKeys[] = {"type",      "id",     "name",     "account",
                                      "partition", "region", "provider", "document"};
  for (const auto& item : value.items()) {
    const std::string& key = item.key();
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return key == k; }) ==
        std::end(kKeys)) {
      *error = "unknown resource key \"" + key +
               "\"; allowed: type, id, name, account, partition, region, provider, document";
      return std::nullopt;
    }
  }
  if (!value.contains("type") || !value["type"].is_string() || !value.contains("document")) {
    *error = "a resource needs \"type\" (e.g. AWS::IAM::Role) and \"document\"";
    return std::nullopt;
  }
  model::Resource resource;
  resource.type = value["type"].get<std::string>();
  resource.document = value["document"];
  const auto text = [&](const char* key, const std::string& fallback) {
    if (value.contains(key) && value[key].is_string()) return value[key].get<std::string>();
    if (value.contains(key) && value[key].is_number()) return core::DumpJson(value[key]);
    return fallback;
  };
  const nlohmann::json& doc = resource.document;
  const std::string doc_arn = doc.is_object() ? doc.value("arn", "") : "";
  const std::string doc_name = doc.is_object() ? doc.value("name", "") : "";
  resource.name = text("name", doc_name);
  resource.id = text("id", doc_arn.empty() ? resource.name : doc_arn);
  // The partition and account of an ARN id when none is given: a resource in aws-cn must not be
  // judged as one in aws.
  const std::optional<core::ArnFields> arn = core::SplitArn(resource.id);
  resource.partition =
      text("partition", arn && !arn->partition.empty() ? std::string(arn->partition) : "aws");
  resource.account = text("account", arn ? std::string(arn->account) : "");
  resource.region = text("region", "global");
  resource.provider = text("provider", "aws");
  // Named in its own source, as the adapters name what they read (adapter_support, azure_common):
  // a Terraform-read resource's id is its address, which the remediation names.
  resource.source.resource_id = resource.id;
  return resource;
}

}  // namespace kmsguard::plugin
