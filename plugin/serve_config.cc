#include "plugin/serve_config.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/yaml_text.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::plugin {

namespace {

// Reports problems as "path:line:col: message" and goes on, so one run lists every mistake in
// the file rather than the first.
class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  std::string Where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return absl::StrCat(path_, ":", mark.line + 1, ":", mark.column + 1);
  }

  void Error(const YAML::Node& node, const std::string& message) {
    errors_.push_back(absl::StrCat(Where(node), ": ", message));
  }

  // Checks that `node` is a mapping and reports each key not in `known`. False when it is not
  // a mapping (its settings cannot be read then).
  bool CheckKeys(const YAML::Node& node, const std::string& section,
                 const std::set<std::string>& known) {
    if (!node.IsMap()) {
      Error(node, absl::StrCat(section.empty() ? "the file" : section, " must be a mapping"));
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>("");
      if (!seen.insert(key).second) {
        // yaml-cpp keeps both entries; which one a reader takes differs, so neither is guessed.
        Error(entry.first, absl::StrCat("setting \"", section.empty() ? "" : section + ".", key,
                                        "\" is given twice"));
        continue;
      }
      if (!known.contains(key)) {
        Error(entry.first, absl::StrCat("unknown setting \"", section.empty() ? "" : section + ".",
                                        key, "\" (known here: ", absl::StrJoin(known, ", "), ")"));
      }
    }
    return true;
  }

  template <typename T>
  std::optional<T> Get(const YAML::Node& node, const std::string& name) {
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      Error(node, absl::StrCat(name, " has the wrong type"));
      return std::nullopt;
    }
  }

  // A path in the file, relative to the file's own directory (so the file works from any
  // working directory, as a service's config must).
  std::string ResolvePath(const std::string& value) const {
    if (value.empty() || std::filesystem::path(value).is_absolute()) return value;
    return (std::filesystem::path(path_).parent_path() / value).lexically_normal().string();
  }

  // The problems a rules:: reader found in the file, as this reader words its own.
  void Add(const core::Diagnostics& diagnostics) {
    for (const core::Diagnostic& d : diagnostics) {
      if (d.severity == core::DiagnosticSeverity::kError) {
        errors_.push_back(absl::StrCat(d.location.ToString(), ": ", d.message));
      }
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ApplyConfigFile(const std::string& path, const ServeFlags& command_line,
                             ServeFlags* flags) {
  const ServeFlags defaults;
  YAML::Node root;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read config file ", path));
    std::ostringstream text;
    text << in.rdbuf();
    // yaml-cpp misreads raw control characters (a NUL in a plain scalar starts an "escape").
    if (const std::optional<core::YamlTextError> bad = core::CheckYamlText(text.str())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", bad->line, ":", bad->column, ": ", bad->message));
    }
    if (const std::optional<core::YamlTextError> stuck = core::CheckYamlDocuments(text.str())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", stuck->line, ":", stuck->column, ": ", stuck->message));
    }
    const std::vector<YAML::Node> documents = YAML::LoadAll(text.str());
    for (std::size_t i = 1; i < documents.size(); ++i) {
      if (!documents[i].IsNull()) {
        const YAML::Mark mark = documents[i].Mark();
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", mark.line + 1, ":", mark.column + 1,
                         ": a second YAML document; the settings file holds one"));
      }
    }
    if (!documents.empty()) root = documents.front();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": not YAML: ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();  // an empty file: all defaults
  ConfigReader reader(path);
  try {
    if (!reader.CheckKeys(root, "", {"listen", "health_listen", "replica_id", "tls", "rules",
                                     "limits", "shutdown_grace_seconds", "exit_with_parent",
                                     "log", "go_plugin"})) {
      return absl::InvalidArgumentError(reader.errors().front());
    }
    // Sets `*field` from the file unless the command line set it.
    auto set_string = [&](const YAML::Node& node, const std::string& name, std::string* field,
                          const std::string& from_command_line, const std::string& fallback,
                          bool is_path = false) {
      if (!node) return;
      if (from_command_line != fallback) return;
      if (std::optional<std::string> value = reader.Get<std::string>(node, name)) {
        *field = is_path ? reader.ResolvePath(*value) : *value;
      }
    };
    set_string(root["listen"], "listen", &flags->listen, command_line.listen, defaults.listen);
    set_string(root["health_listen"], "health_listen", &flags->health_listen,
               command_line.health_listen, defaults.health_listen);
    set_string(root["replica_id"], "replica_id", &flags->replica_id, command_line.replica_id,
               defaults.replica_id);
    if (const YAML::Node tls = root["tls"]; tls && reader.CheckKeys(tls, "tls", {"cert", "key",
                                                                                 "client_ca"})) {
      set_string(tls["cert"], "tls.cert", &flags->tls_cert, command_line.tls_cert, "", true);
      set_string(tls["key"], "tls.key", &flags->tls_key, command_line.tls_key, "", true);
      set_string(tls["client_ca"], "tls.client_ca", &flags->tls_client_ca,
                 command_line.tls_client_ca, "", true);
    }
    if (const YAML::Node rules = root["rules"];
        rules &&
        reader.CheckKeys(rules, "rules",
                         {"dirs", "watch_seconds", "params", "overrides", "exceptions_file"})) {
      if (rules["dirs"] && command_line.rule_dirs.empty()) {
        if (auto dirs = reader.Get<std::vector<std::string>>(rules["dirs"], "rules.dirs")) {
          flags->rule_dirs.clear();
          for (const std::string& dir : *dirs) flags->rule_dirs.push_back(reader.ResolvePath(dir));
        }
      }
      if (rules["watch_seconds"]) {
        const auto seconds = reader.Get<double>(rules["watch_seconds"], "rules.watch_seconds");
        if (seconds && *seconds < 0) {
          reader.Error(rules["watch_seconds"], "rules.watch_seconds must be 0 or more");
        } else if (seconds) {
          flags->rule_watch_seconds = *seconds;
        }
      }
      // Changes to rules, read as `kind: Override` documents are (same checks, same messages,
      // each at its place): `params` (rule id -> {parameter: value}, the older form), then
      // `overrides` (a list of {rule, severity, params, exceptions}). Reading problems are
      // errors of the file; an unknown rule or parameter is found when the rules load.
      core::Diagnostics problems;
      flags->config_overrides = {};
      for (const char* key : {"params", "overrides"}) {
        const YAML::Node node = rules[key];
        if (!node || node.IsNull()) continue;
        std::vector<kmsguard::rules::Override> read =
            std::string_view(key) == "params"
                ? kmsguard::rules::ReadParamOverrides(node, path, &problems)
                : kmsguard::rules::ReadOverrides(node, path, &problems);
        if (read.empty()) continue;  // `params: {}` (as shipped) leaves the rule set's version
        for (kmsguard::rules::Override& override : read) {
          flags->config_overrides.overrides.push_back(std::move(override));
        }
        absl::StrAppend(&flags->config_overrides.text, key, ":\n", YAML::Dump(node), "\n");
      }
      reader.Add(problems);
      if (rules["exceptions_file"]) {
        const auto file = reader.Get<std::string>(rules["exceptions_file"], "rules.exceptions_file");
        if (file && !file->empty()) flags->exceptions_file = reader.ResolvePath(*file);
      }
    }
    if (const YAML::Node limits = root["limits"];
        limits && reader.CheckKeys(limits, "limits", {"max_batch_size", "max_message_bytes",
                                                      "evaluation_threads"})) {
      auto set_int = [&](const char* key, int* field, int from_command_line, int low, int high) {
        const YAML::Node node = limits[key];
        if (!node || from_command_line != 0) return;
        const std::optional<int> value = reader.Get<int>(node, absl::StrCat("limits.", key));
        if (!value) return;
        if (*value < low || *value > high) {
          reader.Error(node, absl::StrCat("limits.", key, " must be in ", low, "..", high));
          return;
        }
        *field = *value;
      };
      set_int("max_batch_size", &flags->max_batch_size, command_line.max_batch_size, 1, 100000);
      set_int("max_message_bytes", &flags->max_message_bytes, command_line.max_message_bytes,
              64 * 1024, 1024 * 1024 * 1024);
      set_int("evaluation_threads", &flags->evaluation_threads, command_line.evaluation_threads,
              0, 1024);
    }
    if (const YAML::Node grace = root["shutdown_grace_seconds"];
        grace && command_line.shutdown_grace_seconds == defaults.shutdown_grace_seconds) {
      const auto seconds = reader.Get<double>(grace, "shutdown_grace_seconds");
      if (seconds && (*seconds < 0 || *seconds > 3600)) {
        reader.Error(grace, "shutdown_grace_seconds must be in 0..3600");
      } else if (seconds) {
        flags->shutdown_grace_seconds = *seconds;
      }
    }
    if (const YAML::Node exit_node = root["exit_with_parent"];
        exit_node && !command_line.exit_with_parent) {
      if (auto value = reader.Get<bool>(exit_node, "exit_with_parent")) {
        flags->exit_with_parent = *value;
      }
    }
    if (const YAML::Node logging = root["log"];
        logging && reader.CheckKeys(logging, "log", {"level", "format"})) {
      if (logging["level"] && !command_line.quiet) {
        const auto level = reader.Get<std::string>(logging["level"], "log.level");
        if (level && *level != "info" && *level != "warn") {
          reader.Error(logging["level"], "log.level must be info or warn");
        } else if (level) {
          flags->quiet = *level == "warn";
        }
      }
      if (logging["format"] && command_line.log_format.empty()) {
        const auto format = reader.Get<std::string>(logging["format"], "log.format");
        if (format && !format->empty() && *format != "text" && *format != "json") {
          reader.Error(logging["format"], "log.format must be text or json");
        } else if (format) {
          flags->log_format = *format;
        }
      }
    }
    if (const YAML::Node go = root["go_plugin"];
        go && reader.CheckKeys(go, "go_plugin", {"magic_cookie_key", "magic_cookie_value"})) {
      set_string(go["magic_cookie_key"], "go_plugin.magic_cookie_key", &flags->magic_cookie_key,
                 command_line.magic_cookie_key, defaults.magic_cookie_key);
      set_string(go["magic_cookie_value"], "go_plugin.magic_cookie_value",
                 &flags->magic_cookie_value, command_line.magic_cookie_value,
                 defaults.magic_cookie_value);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  if (!reader.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(reader.errors(), "\n"));
  }
  return absl::OkStatus();
}

}  // namespace kmsguard::plugin
