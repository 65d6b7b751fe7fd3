#include "plugin/serve_config.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kmsguard::plugin {

namespace {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string Where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return absl::StrCat(path, ":", mark.line + 1, ":", mark.column + 1);
}

// Checks that `node` is a mapping whose keys are all in `known`.
void CheckKeys(const std::string& path, const YAML::Node& node, const std::string& section,
               const std::set<std::string>& known) {
  if (!node.IsMap()) {
    throw ConfigError(absl::StrCat(Where(path, node), ": ", section.empty() ? "the file" : section,
                                   " must be a mapping"));
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (!known.contains(key)) {
      throw ConfigError(absl::StrCat(
          Where(path, entry.first), ": unknown setting \"", section.empty() ? "" : section + ".",
          key, "\" (known here: ", absl::StrJoin(known, ", "), ")"));
    }
  }
}

template <typename T>
T Get(const std::string& path, const YAML::Node& node, const std::string& name) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(absl::StrCat(Where(path, node), ": ", name, " has the wrong type"));
  }
}

// Scalars become booleans or numbers when they read as such (YAML 1.2 core schema), else strings.
nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = YamlToJson(entry.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
      const std::string& text = node.Scalar();
      if (text == "true" || text == "false") return text == "true";
      long long integer = 0;
      double number = 0;
      if (YAML::convert<long long>::decode(node, integer)) return integer;
      if (YAML::convert<double>::decode(node, number)) return number;
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace

absl::Status ApplyConfigFile(const std::string& path, const ServeFlags& command_line,
                             ServeFlags* flags) {
  const ServeFlags defaults;
  YAML::Node root;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read config file ", path));
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": not YAML: ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();  // an empty file: all defaults
  try {
    CheckKeys(path, root, "",
              {"listen", "tls", "rules", "limits", "shutdown_grace_seconds", "exit_with_parent",
               "log", "go_plugin"});
    // Sets `*field` from the file unless the command line set it.
    auto set_string = [&](const YAML::Node& node, const std::string& name, std::string* field,
                          const std::string& from_command_line, const std::string& fallback) {
      if (!node) return;
      if (from_command_line != fallback) return;
      *field = Get<std::string>(path, node, name);
    };
    set_string(root["listen"], "listen", &flags->listen, command_line.listen, defaults.listen);
    if (const YAML::Node tls = root["tls"]) {
      CheckKeys(path, tls, "tls", {"cert", "key", "client_ca"});
      set_string(tls["cert"], "tls.cert", &flags->tls_cert, command_line.tls_cert, "");
      set_string(tls["key"], "tls.key", &flags->tls_key, command_line.tls_key, "");
      set_string(tls["client_ca"], "tls.client_ca", &flags->tls_client_ca,
                 command_line.tls_client_ca, "");
    }
    if (const YAML::Node rules = root["rules"]) {
      CheckKeys(path, rules, "rules", {"dirs", "watch_seconds", "params", "exceptions_file"});
      if (rules["dirs"] && command_line.rule_dirs.empty()) {
        flags->rule_dirs = Get<std::vector<std::string>>(path, rules["dirs"], "rules.dirs");
      }
      if (rules["watch_seconds"]) {
        flags->rule_watch_seconds = Get<double>(path, rules["watch_seconds"], "rules.watch_seconds");
        if (flags->rule_watch_seconds < 0) {
          throw ConfigError(absl::StrCat(Where(path, rules["watch_seconds"]),
                                         ": rules.watch_seconds must be 0 or more"));
        }
      }
      if (const YAML::Node params = rules["params"]) {
        if (!params.IsMap()) {
          throw ConfigError(absl::StrCat(Where(path, params), ": rules.params must map rule ids "
                                                              "to {param: value}"));
        }
        for (const auto& rule : params) {
          const std::string rule_id = rule.first.as<std::string>();
          if (!rule.second.IsMap()) {
            throw ConfigError(absl::StrCat(Where(path, rule.second), ": rules.params.", rule_id,
                                           " must map parameter names to values"));
          }
          for (const auto& param : rule.second) {
            flags->param_overrides[rule_id][param.first.as<std::string>()] =
                ParamOverride{.value = YamlToJson(param.second),
                              .where = Where(path, param.second)};
          }
        }
      }
      if (rules["exceptions_file"] &&
          !Get<std::string>(path, rules["exceptions_file"], "rules.exceptions_file").empty()) {
        throw ConfigError(absl::StrCat(Where(path, rules["exceptions_file"]),
                                       ": rules.exceptions_file is not supported by this build "
                                       "yet; leave it empty"));
      }
    }
    if (const YAML::Node limits = root["limits"]) {
      CheckKeys(path, limits, "limits",
                {"max_batch_size", "max_message_bytes", "evaluation_threads"});
      auto set_int = [&](const char* key, int* field, int from_command_line, int low, int high) {
        const YAML::Node node = limits[key];
        if (!node || from_command_line != 0) return;
        const int value = Get<int>(path, node, absl::StrCat("limits.", key));
        if (value < low || value > high) {
          throw ConfigError(absl::StrCat(Where(path, node), ": limits.", key, " must be in ", low,
                                         "..", high));
        }
        *field = value;
      };
      set_int("max_batch_size", &flags->max_batch_size, command_line.max_batch_size, 1, 100000);
      set_int("max_message_bytes", &flags->max_message_bytes, command_line.max_message_bytes,
              64 * 1024, 1024 * 1024 * 1024);
      set_int("evaluation_threads", &flags->evaluation_threads, command_line.evaluation_threads,
              0, 1024);
    }
    if (const YAML::Node grace = root["shutdown_grace_seconds"];
        grace && command_line.shutdown_grace_seconds == defaults.shutdown_grace_seconds) {
      flags->shutdown_grace_seconds = Get<double>(path, grace, "shutdown_grace_seconds");
      if (flags->shutdown_grace_seconds < 0 || flags->shutdown_grace_seconds > 3600) {
        throw ConfigError(
            absl::StrCat(Where(path, grace), ": shutdown_grace_seconds must be in 0..3600"));
      }
    }
    if (const YAML::Node exit_node = root["exit_with_parent"];
        exit_node && !command_line.exit_with_parent) {
      flags->exit_with_parent = Get<bool>(path, exit_node, "exit_with_parent");
    }
    if (const YAML::Node logging = root["log"]) {
      CheckKeys(path, logging, "log", {"level", "format"});
      if (logging["level"] && !command_line.quiet) {
        const std::string level = Get<std::string>(path, logging["level"], "log.level");
        if (level != "info" && level != "warn") {
          throw ConfigError(
              absl::StrCat(Where(path, logging["level"]), ": log.level must be info or warn"));
        }
        flags->quiet = level == "warn";
      }
      if (logging["format"] && command_line.log_format.empty()) {
        const std::string format = Get<std::string>(path, logging["format"], "log.format");
        if (!format.empty() && format != "text" && format != "json") {
          throw ConfigError(
              absl::StrCat(Where(path, logging["format"]), ": log.format must be text or json"));
        }
        flags->log_format = format;
      }
    }
    if (const YAML::Node go = root["go_plugin"]) {
      CheckKeys(path, go, "go_plugin", {"magic_cookie_key", "magic_cookie_value"});
      set_string(go["magic_cookie_key"], "go_plugin.magic_cookie_key", &flags->magic_cookie_key,
                 command_line.magic_cookie_key, defaults.magic_cookie_key);
      set_string(go["magic_cookie_value"], "go_plugin.magic_cookie_value",
                 &flags->magic_cookie_value, command_line.magic_cookie_value,
                 defaults.magic_cookie_value);
    }
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  return absl::OkStatus();
}

}  // namespace kmsguard::plugin
