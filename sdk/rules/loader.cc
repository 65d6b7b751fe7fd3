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
    // as "vic\ntim") and other raw controls as text: YAML allows none of them, so the file is
    // refused where the character is, before yaml-cpp sees it.
    if (const std::optional<core::ForbiddenYamlCharacter> bad =
            core::FindForbiddenYamlCharacter(file.text)) {
      reader.Report(kParseError, LocationOfOffset(file.text, bad->offset, file.name),
                    absl::StrCat("not valid YAML: the raw control character ", bad->name,
                                 " is not allowed in YAML (inside a double-quoted string, write "
                                 "it as an escape such as \"\\0\"); the file is not read"));
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
        if (!reader.Read(document, &rule)) continue;
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
