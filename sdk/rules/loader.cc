// Rule loader: a set of rule files -> a RuleSet, every problem reported with its position. Each
// file is read by internal::RuleReader (rule_reader.h: its stages are in their own files); this
// file links them: Library lists and macros shared by every rule of a load, duplicate ids, unused
// definitions, overrides applied last.
//
// yaml-cpp is called only from LoadRuleText (directly or through RuleReader, which it owns), and
// its exceptions are caught there. Reading goes on after a problem so that one pass reports all
// of a file's problems.
#include <re2/re2.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/yaml_text.h"
#include "sdk/model/resource.h"
#include "sdk/rules/builtin_rule_files.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/rule_reader.h"
#include "sdk/rules/template.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::rules {

using internal::KindOf;
using internal::kLinkError;
using internal::kMaxDocumentNodes;
using internal::kParseError;
using internal::kSchemaError;
using internal::kTooLarge;
using internal::kUnused;
using internal::Library;
using internal::LocationOfOffset;
using internal::Quoted;
using internal::RuleReader;
using internal::WithinNodeLimit;

namespace {

// Every rule document of a load by id (the first of an id), for `extends:`.
using RuleDocuments = std::map<std::string, YAML::Node, std::less<>>;

// How deep `extends:` may chain (a rule on a rule on a shipped rule is already unusual).
constexpr int kMaxExtendsDepth = 8;

// The keys a rule that extends another must state itself: its findings are a different check, so
// they must not carry the base's id, version or title.
constexpr std::array<std::string_view, 3> kOwnKeys = {"id", "version", "title"};

// `extends: BASE`: the base rule's document with this one's keys over it: every key it gives
// replaces the base's, except `params`, merged parameter by parameter and field by field (a new
// default, description or allowed list for an inherited parameter; new parameters added). The
// base's `compliance` is never inherited (a derived rule is not the control the base maps to:
// its findings must not be reported as Security Hub KMS.2). Resolves chains; reports an unknown
// base, a cycle, a chain deeper than kMaxExtendsDepth or a missing own key at the `extends` key,
// and then returns false. Inherited nodes keep their marks: a problem found in one (rare: the base
// reads clean on its own) is reported in this rule's file at the base's line and column.
bool ResolveExtends(const YAML::Node& document, const RuleDocuments& documents, RuleReader& reader,
                    std::set<std::string, std::less<>>& chain, YAML::Node* out) {
  const YAML::Node extends = document["extends"];
  const core::SourceLocation where = reader.LocationOf(extends.Mark());
  if (!extends.IsScalar() || extends.Scalar().empty()) {
    reader.Report(kSchemaError, where, "extends must name one rule by its id");
    return false;
  }
  for (std::string_view key : kOwnKeys) {
    if (!document[std::string(key)].IsDefined()) {
      reader.Report(kSchemaError, reader.LocationOf(document.Mark()),
                    absl::StrCat("a rule that extends another states its own ", Quoted(key),
                                 " (id, version and title are never inherited)"));
      return false;
    }
  }
  const std::string& base_id = extends.Scalar();
  const auto base = documents.find(base_id);
  if (base == documents.end()) {
    reader.Report(kLinkError, where,
                  absl::StrCat("extends names no rule: ", Quoted(base_id),
                               " is not the id of a rule in this load (built-in or given)"));
    return false;
  }
  if (!chain.insert(base_id).second || chain.size() > kMaxExtendsDepth) {
    reader.Report(kLinkError, where,
                  absl::StrCat("extends ", Quoted(base_id),
                               chain.size() > kMaxExtendsDepth
                                   ? absl::StrCat(" chains more than ", kMaxExtendsDepth, " rules")
                                   : " leads back to a rule of its own chain (a cycle)"));
    return false;
  }
  YAML::Node merged;
  if (base->second["extends"].IsDefined()) {
    if (!ResolveExtends(base->second, documents, reader, chain, &merged)) return false;
  } else {
    merged = YAML::Clone(base->second);
  }
  merged.remove("compliance");
  for (const auto& entry : document) {
    const std::string key = entry.first.as<std::string>("");
    if (key == "extends") continue;
    const YAML::Node inherited = merged["params"];
    if (key == "params" && entry.second.IsMap() && inherited.IsMap()) {
      for (const auto& param : entry.second) {
        const std::string name = param.first.as<std::string>("");
        YAML::Node target = merged["params"][name];
        if (param.second.IsMap() && target.IsMap()) {
          for (const auto& field : param.second) {
            target[field.first.as<std::string>("")] = YAML::Clone(field.second);
          }
        } else {
          merged["params"][name] = YAML::Clone(param.second);
        }
      }
      continue;
    }
    merged[key] = YAML::Clone(entry.second);
  }
  *out = merged;
  return true;
}

}  // namespace

LoadResult LoadRuleFiles(const std::vector<SourceFile>& files, const LoadOptions& options) {
  LoadResult result;
  Library library;
  struct Parsed {
    const SourceFile* file;
    std::vector<YAML::Node> documents;
  };
  std::vector<Parsed> parsed;
  // Pass 1: parse every file and read the libraries, so any rule may use any list or macro.
  for (const SourceFile& file : files) {
    RuleReader reader(file.text, file.name, &result.diagnostics, &library, options.lint);
    // yaml-cpp reads a raw NUL in a plain scalar as the start of an escape ("vic<NUL>ntim" reads
    // as "vic\ntim"), other raw controls as text, and bytes that are not UTF-8 into strings as
    // they are: YAML allows none of them, so the file is refused where they are, before yaml-cpp
    // sees it.
    if (const std::optional<core::ForbiddenYamlCharacter> bad =
            core::FindForbiddenYamlCharacter(file.text)) {
      reader.Report(kParseError, LocationOfOffset(file.text, bad->offset, file.name),
                    absl::StrCat("not valid YAML: ", core::ForbiddenYamlCharacterProblem(*bad),
                                 "; the file is not read"));
      continue;
    }
    if (const std::optional<core::YamlTextError> stuck = core::CheckYamlDocuments(file.text)) {
      core::SourceLocation where;
      where.file = file.name;
      where.line = static_cast<int>(stuck->line);
      where.column = static_cast<int>(stuck->column);
      reader.Report(kParseError, where, stuck->message);
      continue;
    }
    try {
      Parsed p{&file, YAML::LoadAll(file.text)};
      int documents = 0;
      for (YAML::Node& document : p.documents) {
        if (document.IsNull()) continue;  // an empty document, e.g. after a trailing "---"
        ++documents;
        if (std::size_t nodes = 0; !WithinNodeLimit(document, kMaxDocumentNodes, &nodes)) {
          reader.Report(kTooLarge, reader.LocationOf(document.Mark()),
                        absl::StrCat("this document expands to more than ", kMaxDocumentNodes,
                                     " YAML nodes (an alias counts its whole anchor each time it "
                                     "is used); it is not read"));
          document = YAML::Node(YAML::NodeType::Null);
          continue;
        }
        if (KindOf(document) == "Library") {
          reader.ReadLibrary(document);
        }
      }
      if (documents == 0) {
        core::SourceLocation loc;
        loc.file = file.name;
        reader.Report(kSchemaError, loc, "the file holds no rule");
      }
      parsed.push_back(std::move(p));
    } catch (const YAML::DeepRecursion& e) {
      reader.Report(kParseError, reader.LocationOf(e.mark),
                    absl::StrCat("not valid YAML here: nesting deeper than ", e.depth() - 1,
                                 " levels, the most the YAML reader allows; the file is not "
                                 "read"));
    } catch (const YAML::Exception& e) {
      // A syntax error stops yaml-cpp; nothing of the file is kept, since what follows the error
      // is not known to be what the author meant.
      reader.Report(kParseError, reader.LocationOf(e.mark),
                    absl::StrCat("not valid YAML: ", e.msg));
    } catch (const std::exception& e) {
      core::SourceLocation loc;
      loc.file = file.name;
      reader.Report(kParseError, loc, absl::StrCat("could not read the rule file: ", e.what()));
    }
  }
  // Every rule document by id, so that a rule may extend any other of the load.
  RuleDocuments rule_documents;
  for (const Parsed& p : parsed) {
    for (const YAML::Node& document : p.documents) {
      if (!document.IsMap() || !(KindOf(document).empty() || KindOf(document) == "Rule")) continue;
      if (const YAML::Node id = document["id"]; id.IsDefined() && id.IsScalar()) {
        rule_documents.emplace(id.Scalar(), document);
      }
    }
  }
  // Pass 2: rules and overrides.
  std::map<std::string, core::SourceLocation, std::less<>> ids;
  for (const Parsed& p : parsed) {
    RuleReader reader(p.file->text, p.file->name, &result.diagnostics, &library, options.lint);
    try {
      for (const YAML::Node& document : p.documents) {
        if (document.IsNull()) continue;
        const std::string kind = KindOf(document);
        if (kind == "Library") continue;
        if (kind == "Override") {
          Override override;
          if (reader.ReadOverride(document, &override)) {
            result.overrides.push_back(std::move(override));
          }
          continue;
        }
        Rule rule;
        if (document.IsMap() && document["extends"].IsDefined()) {
          std::set<std::string, std::less<>> chain;
          if (const YAML::Node id = document["id"]; id.IsDefined() && id.IsScalar())
            chain.insert(id.Scalar());
          YAML::Node merged;
          if (!ResolveExtends(document, rule_documents, reader, chain, &merged)) continue;
          const bool read = reader.Read(merged, &rule);
          rule.location = reader.LocationOf(document.Mark());
          rule.extends = document["extends"].Scalar();
          if (!read) continue;
        } else if (!reader.Read(document, &rule)) {
          continue;
        }
        if (auto [it, inserted] = ids.emplace(rule.id, rule.location); !inserted) {
          reader.Report(
              kLinkError, rule.location,
              absl::StrCat("duplicate rule id: ", Quoted(rule.id), " is already defined at ",
                           it->second.ToString(), "; this definition is ignored"));
          continue;
        }
        result.rules.push_back(std::move(rule));
      }
    } catch (const std::exception& e) {
      core::SourceLocation loc;
      loc.file = p.file->name;
      reader.Report(kParseError, loc, absl::StrCat("could not read the rule file: ", e.what()));
    }
  }
  core::Diagnostics applied = ApplyOverrides(result.overrides, &result.rules);
  result.diagnostics.insert(result.diagnostics.end(), applied.begin(), applied.end());
  if (!options.lint) return result;
  for (const auto& [name, def] : library.lists) {
    if (!def.used) {
      result.diagnostics.push_back(
          core::Diagnostic{core::DiagnosticSeverity::kWarning, kUnused,
                           absl::StrCat("list ", Quoted(name), " is never used"), def.location});
    }
  }
  for (const auto& [name, def] : library.macros) {
    if (!def.used) {
      result.diagnostics.push_back(
          core::Diagnostic{core::DiagnosticSeverity::kWarning, kUnused,
                           absl::StrCat("macro ", Quoted(name), " is never used"), def.location});
    }
  }
  return result;
}

LoadResult LoadRuleText(std::string_view yaml_text, std::string_view file_name) {
  return LoadRuleFiles({SourceFile{std::string(file_name), std::string(yaml_text)}});
}

std::vector<SourceFile> BuiltinRuleSources() {
  std::vector<SourceFile> files;
  for (const internal::EmbeddedFile& file : internal::BuiltinRuleFiles()) {
    files.push_back(SourceFile{std::string(file.name), std::string(file.text)});
  }
  return files;
}

LoadResult LoadBuiltinRules() { return LoadRuleFiles(BuiltinRuleSources()); }

}  // namespace kmsguard::rules
