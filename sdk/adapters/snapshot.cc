// Format detection and dispatch. Detection streams the JSON (nlohmann SAX) and stops at the first
// key that decides, so a large authorization-details export is not parsed twice into memory.
#include "sdk/adapters/snapshot.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/azure_arm_template.h"
#include "sdk/adapters/azure_cli.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/adapters/config.h"
#include "sdk/adapters/gcp_asset_inventory.h"
#include "sdk/adapters/gzip.h"
#include "sdk/adapters/terraform.h"
#include "sdk/core/json_text.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::PointerLocation;
using internal::WithoutBom;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;

constexpr std::pair<InputFormat, std::string_view> kNames[] = {
    {InputFormat::kAuto, "auto"},
    {InputFormat::kAuthorizationDetails, "gaad"},
    {InputFormat::kConfig, "config"},
    {InputFormat::kTerraform, "terraform"},
    {InputFormat::kCloudFormation, "cloudformation"},
    {InputFormat::kGcpAssetInventory, "gcp-cai"},
    {InputFormat::kAzureCli, "azure-cli"},
    {InputFormat::kArmTemplate, "arm-template"},
    {InputFormat::kGcpIamPolicySearch, "gcp-iam-search"},
};

constexpr char kExpected[] =
    "expected `aws iam get-account-authorization-details` output, AWS Config configuration "
    "items, a Terraform plan or state (`terraform show -json`), a CloudFormation template, a "
    "Cloud Asset Inventory export, `gcloud asset search-all-iam-policies` output, `az` CLI or "
    "ARM REST output, or an ARM template";

bool IsGaadKey(std::string_view key) {
  return key == "UserDetailList" || key == "GroupDetailList" || key == "RoleDetailList" ||
         key == "Policies";
}

// Streams JSON until a key decides the format. Depth counts open containers (the root's members
// are at depth 1).
class FormatSniffer : public nlohmann::json_sax<Json> {
 public:
  InputFormat format() const { return format_; }
  const std::set<std::string>& top_keys() const { return top_keys_; }
  bool root_is_array() const { return root_is_array_; }

  // At the end of the text (or of what parsed): the decisions that need several keys.
  void Finish() {
    if (format_ != InputFormat::kAuto) return;
    if (top_keys_.contains("resourceType") && top_keys_.contains("configuration")) {
      format_ = InputFormat::kConfig;
    } else if (top_keys_.contains("format_version") && top_keys_.contains("values")) {
      format_ = InputFormat::kTerraform;
    } else if (element_is_config_item_) {
      format_ = InputFormat::kConfig;
    }
  }

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool string(string_t& value) override {
    // {"Resources": {"Id": {"Type": "AWS::..."}}}
    if (depth_ == 3 && in_resources_ && last_key_ == "Type" &&
        (value.rfind("AWS::", 0) == 0 || value.rfind("Custom::", 0) == 0)) {
      return Decide(InputFormat::kCloudFormation);
    }
    return Scalar();
  }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& key) override {
    last_key_ = key;
    if (depth_ == 1 && !root_is_array_) {
      top_keys_.insert(key);
      if (IsGaadKey(key)) return Decide(InputFormat::kAuthorizationDetails);
      if (key == "configurationItems" || key == "baseConfigurationItems" ||
          key == "configurationItem" || key == "invokingEvent" || key == "fileVersion") {
        return Decide(InputFormat::kConfig);
      }
      if (key == "planned_values" || key == "resource_changes" || key == "prior_state") {
        return Decide(InputFormat::kTerraform);
      }
      if (key == "AWSTemplateFormatVersion") return Decide(InputFormat::kCloudFormation);
    }
    if (depth_ == 2 && root_is_array_ && first_element_) element_keys_.insert(key);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Decide(InputFormat format) {
    format_ = format;
    return false;  // stop: nothing else is needed
  }
  bool Scalar() {
    if (depth_ == 1 && root_is_array_) first_element_ = false;
    return true;
  }
  bool Open(bool array) {
    if (depth_ == 0) root_is_array_ = array;
    if (depth_ == 1 && !root_is_array_) in_resources_ = last_key_ == "Resources";
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    if (depth_ == 1 && root_is_array_ && first_element_) {
      // The first element of a top-level list decides: a configuration item, or nothing known.
      first_element_ = false;
      element_is_config_item_ =
          element_keys_.contains("resourceType") && element_keys_.contains("configuration");
      return element_is_config_item_ ? Decide(InputFormat::kConfig) : true;
    }
    return true;
  }

  InputFormat format_ = InputFormat::kAuto;
  int depth_ = 0;
  bool root_is_array_ = false;
  bool in_resources_ = false;
  bool first_element_ = true;
  bool element_is_config_item_ = false;
  std::string last_key_;
  std::set<std::string> top_keys_;
  std::set<std::string> element_keys_;
};

struct Sniffed {
  InputFormat format = InputFormat::kAuto;
  std::set<std::string> top_keys;
  bool root_is_array = false;
};

Sniffed SniffJson(std::string_view text) {
  FormatSniffer sniffer;
  try {
    nlohmann::json::sax_parse(text.begin(), text.end(), &sniffer);
  } catch (const std::exception&) {
    // Invalid UTF-8 and the like: the full parse reports it with its position.
  }
  sniffer.Finish();
  return {sniffer.format(), sniffer.top_keys(), sniffer.root_is_array()};
}

bool LooksLikeJson(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

// Text that is not JSON is only ever read as a YAML template, and yaml-cpp reads a text whole
// before anything can be said of it: a 105 MB log took 41 s and 650 MB only to be refused. Above
// this size (four times CloudFormation's 1 MB limit for a template in S3) the first significant
// line must open a template section, or the text is refused at once, naming that line. Smaller
// texts keep the full reader and its messages.
constexpr std::size_t kYamlReadWholeBytes = std::size_t{4} << 20;

// The top-level keys of a template ("Template anatomy", CloudFormation User Guide; Globals is
// SAM's).
constexpr std::string_view kTemplateSections[] = {"AWSTemplateFormatVersion",
                                                  "Description",
                                                  "Metadata",
                                                  "Parameters",
                                                  "Rules",
                                                  "Mappings",
                                                  "Conditions",
                                                  "Transform",
                                                  "Resources",
                                                  "Outputs",
                                                  "Globals"};

struct FirstSignificantLine {
  int number = 0;  // 1-based; 0 when the text has none
  std::string_view text;
};

// Skips blank lines, comments, directives (%YAML, %TAG) and a bare document start (---).
FirstSignificantLine FindFirstSignificantLine(std::string_view text) {
  int number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line = line.substr(first);
    if (line[0] == '#' || line[0] == '%') continue;
    if (line.substr(0, 3) == "---") {
      const std::size_t rest = line.find_first_not_of(" \t\r", 3);
      if (rest == std::string_view::npos || line[rest] == '#') continue;
      if (rest == 3) return {number, line};  // "---x" is no marker
      line = line.substr(rest);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    return {number, line};
  }
  return {};
}

// Whether `line` is `Section:` (plain, single- or double-quoted key) for a template section.
bool OpensTemplateSection(std::string_view line) {
  std::string_view key;
  if (!line.empty() && (line[0] == '"' || line[0] == '\'')) {
    const std::size_t close = line.find(line[0], 1);
    if (close == std::string_view::npos) return false;
    key = line.substr(1, close - 1);
    line = line.substr(close + 1);
  } else {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    line = line.substr(colon);
  }
  const std::size_t colon = line.find_first_not_of(" \t");
  if (colon == std::string_view::npos || line[colon] != ':') return false;
  if (colon + 1 < line.size() && line[colon + 1] != ' ' && line[colon + 1] != '\t') return false;
  for (std::string_view section : kTemplateSections) {
    if (key == section) return true;
  }
  return false;
}

// Whether a text too large to read whole on the chance it is a template is refused (false when
// it may be one, or is small enough to read whole); with `diagnostics`, adds the error at its
// first significant line.
bool RefuseLargeNonTemplate(std::string_view text, std::string_view source_name,
                            core::Diagnostics* diagnostics) {
  if (text.size() <= kYamlReadWholeBytes) return false;
  const FirstSignificantLine first = FindFirstSignificantLine(text);
  if (first.number > 0 && OpensTemplateSection(first.text)) return false;
  if (diagnostics == nullptr) return true;
  core::SourceLocation at;
  at.file = std::string(source_name);
  at.line = first.number;
  at.column = first.number > 0 ? 1 : 0;
  std::string_view shown = first.text.substr(0, 60);
  AddDiagnostic(diagnostics, kError, std::move(at), absl::StrCat("neither JSON nor a CloudFormation template (", kExpected, "): line ",
                      first.number, " (\"", core::ValidUtf8(shown),
                      shown.size() < first.text.size() ? "..." : "",
                      "\") opens no template section (AWSTemplateFormatVersion, Resources, ...), "
                      "and a text of ",
                      text.size() >> 20, " MiB is not read whole to find one"));
  return true;
}

// What a text that is not a YAML template holds, for the "unknown format" error: a lone JSON
// value (`null`, `0`, `true` in a .json file) is named as JSON, not as YAML.
std::string DescribeNonTemplate(std::string_view text, const Json& root) {
  if (Json::accept(text)) {
    return absl::StrCat("the file is JSON holding only ",
                        root.is_null()      ? std::string("null")
                        : root.is_boolean() ? absl::StrCat("the boolean ", core::DumpJson(root))
                        : root.is_number()  ? absl::StrCat("the number ", core::DumpJson(root))
                                            : std::string("a string"),
                        ", not an object or a list");
  }
  if (root.is_object()) {
    return "the file is YAML but not a CloudFormation template (no AWSTemplateFormatVersion or "
           "Resources)";
  }
  return absl::StrCat("the file is YAML holding ",
                      root.is_array()  ? "a list"
                      : root.is_null() ? "nothing"
                                       : "a single scalar",
                      ", not a CloudFormation template");
}

// A CloudFormation template in YAML: a mapping with AWSTemplateFormatVersion, or Resources.
bool IsYamlTemplate(const Json& root) {
  return root.is_object() &&
         (root.contains("AWSTemplateFormatVersion") || root.contains("Resources"));
}

// Authorization details through the streaming GAAD reader (which also reads concatenated pages).
AdapterResult ReadGaad(std::string_view text, std::string_view source_name, const Sniffed& sniffed,
                       bool explicit_format) {
  AdapterResult result = ReadAuthorizationDetails(text, source_name);
  // A JSON object with none of the lists would otherwise read as an empty account.
  if (explicit_format && result.resources.empty() && result.diagnostics.empty() &&
      sniffed.format != InputFormat::kAuthorizationDetails) {
    AddDiagnostic(&result.diagnostics, kError, PointerLocation(source_name, ""),
                  "not authorization details: none of UserDetailList, GroupDetailList, "
                  "RoleDetailList, Policies is present");
  }
  return result;
}

// The Azure or Google Cloud search format of JSON text that no AWS key decided (the shapes have no
// distinctive top-level key, so the text is parsed whole), or kAuto.
InputFormat DetectWholeJson(std::string_view text) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return InputFormat::kAuto;
  }
  if (root.is_discarded()) return InputFormat::kAuto;
  if (LooksLikeArmTemplate(root)) return InputFormat::kArmTemplate;
  if (LooksLikeAzureCliOutput(root)) return InputFormat::kAzureCli;
  if (LooksLikeIamPolicySearch(root)) return InputFormat::kGcpIamPolicySearch;
  return InputFormat::kAuto;
}

std::string DescribeKeys(const Sniffed& sniffed) {
  if (sniffed.root_is_array) return "a JSON list whose first element is not a configuration item";
  if (sniffed.top_keys.empty()) return "a JSON value with no keys";
  std::vector<std::string> keys(sniffed.top_keys.begin(), sniffed.top_keys.end());
  if (keys.size() > 8) {
    keys.resize(8);
    keys.push_back("...");
  }
  return absl::StrCat("top-level keys: ", absl::StrJoin(keys, ", "));
}

}  // namespace

std::string_view InputFormatName(InputFormat format) {
  for (const auto& [f, name] : kNames) {
    if (f == format) return name;
  }
  return "auto";
}

std::vector<std::string> InputFormatNames() {
  std::vector<std::string> names;
  for (const auto& entry : kNames) names.emplace_back(entry.second);
  return names;
}

bool ParseInputFormat(std::string_view name, InputFormat* format) {
  for (const auto& [f, n] : kNames) {
    if (n == name) {
      *format = f;
      return true;
    }
  }
  return false;
}

InputFormat DetectInputFormat(std::string_view text) {
  if (IsGzip(text)) {
    absl::StatusOr<std::string> plain = Gunzip(text);
    return plain.ok() ? DetectInputFormat(*plain) : InputFormat::kAuto;
  }
  text = WithoutBom(text);
  // Before the JSON sniffer: an NDJSON export is several JSON values, which it would stop at.
  if (LooksLikeAssetInventoryExport(text)) return InputFormat::kGcpAssetInventory;
  if (LooksLikeJson(text)) {
    const InputFormat format = SniffJson(text).format;
    return format == InputFormat::kAuto ? DetectWholeJson(text) : format;
  }
  if (RefuseLargeNonTemplate(text, "", nullptr)) return InputFormat::kAuto;
  Json root;
  core::Diagnostics ignored;
  if (text.find_first_not_of(" \t\r\n") != std::string_view::npos &&
      CloudFormationYamlToJson(text, "", &root, nullptr, &ignored) && IsYamlTemplate(root)) {
    return InputFormat::kCloudFormation;
  }
  return InputFormat::kAuto;
}

AdapterResult ReadSnapshot(std::string_view text, std::string_view source_name, InputFormat format,
                           const CloudFormationParameters& parameters) {
  if (IsGzip(text)) {
    absl::StatusOr<std::string> plain = Gunzip(text);
    if (!plain.ok()) {
      AdapterResult result;
      AddDiagnostic(&result.diagnostics, kError, PointerLocation(source_name, ""),
                    std::string(plain.status().message()));
      return result;
    }
    return ReadSnapshot(*plain, source_name, format, parameters);
  }
  // UTF-16 (a PowerShell `>` redirect writes it, with a byte order mark) and UTF-32 read as
  // binary: say which, rather than "neither JSON nor YAML". UTF-32's little-endian mark
  // (FF FE 00 00) starts with UTF-16's (FF FE), so it is tested first.
  const auto starts = [text](std::string_view mark) { return text.substr(0, mark.size()) == mark; };
  const bool utf32 =
      starts(std::string_view("\xFF\xFE\0\0", 4)) || starts(std::string_view("\0\0\xFE\xFF", 4));
  if (utf32 || starts("\xFF\xFE") || starts("\xFE\xFF")) {
    const char* wide = utf32 ? "UTF-32" : "UTF-16";
    AdapterResult result;
    AddDiagnostic(&result.diagnostics, kError, PointerLocation(source_name, ""),
                  absl::StrCat("the file is ", wide, " (it starts with a ", wide,
                               " byte order mark", utf32 ? "" : "; PowerShell's `>` writes it",
                               "); convert it to UTF-8, e.g. with Out-File -Encoding utf8 or "
                               "iconv -f ",
                               wide, " -t UTF-8"));
    return result;
  }
  text = WithoutBom(text);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    AdapterResult result;
    AddDiagnostic(&result.diagnostics, kError, PointerLocation(source_name, ""),
                  absl::StrCat("the file is empty; ", kExpected));
    return result;
  }

  if (format == InputFormat::kGcpAssetInventory ||
      (format == InputFormat::kAuto && LooksLikeAssetInventoryExport(text))) {
    return ReadAssetInventoryExport(text, source_name);
  }

  if (!LooksLikeJson(text)) {
    // YAML is only ever a CloudFormation template.
    if (format != InputFormat::kAuto && format != InputFormat::kCloudFormation) {
      AdapterResult result;
      Json ignored;
      bool lossy = false;
      internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &ignored,
                              &result.diagnostics, &lossy);
      return result;
    }
    AdapterResult result;
    if (RefuseLargeNonTemplate(text, source_name, &result.diagnostics)) return result;
    Json root;
    TemplatePositions positions;
    bool lossy = false;
    if (!CloudFormationYamlToJson(text, source_name, &root, &positions, &result.diagnostics,
                                  &lossy)) {
      // YAML nested deeper than its reader goes is YAML all the same: its message says so.
      if (format == InputFormat::kAuto && !result.diagnostics.empty() &&
          result.diagnostics.back().message.rfind("nesting deeper", 0) != 0) {
        result.diagnostics.back().message = absl::StrCat("neither JSON nor YAML (", kExpected,
                                                         "): ", result.diagnostics.back().message);
      }
      return result;
    }
    if (format == InputFormat::kAuto && !IsYamlTemplate(root)) {
      AddDiagnostic(&result.diagnostics, kError, PointerLocation(source_name, ""),
                    absl::StrCat("unknown snapshot format: ", DescribeNonTemplate(text, root), "; ",
                                 kExpected));
      return result;
    }
    AdapterResult read = ReadCloudFormationJson(root, source_name, &positions, parameters);
    result.resources = std::move(read.resources);
    for (core::Diagnostic& d : read.diagnostics) result.diagnostics.push_back(std::move(d));
    if (lossy) internal::MarkUnreadablePolicies(&result.resources, &result.diagnostics);
    return result;
  }

  const Sniffed sniffed = SniffJson(text);
  const bool explicit_format = format != InputFormat::kAuto;
  if (format == InputFormat::kAuto) format = sniffed.format;
  if (format == InputFormat::kAuto) format = DetectWholeJson(text);
  if (format == InputFormat::kAzureCli) return ReadAzureCli(text, source_name);
  if (format == InputFormat::kGcpIamPolicySearch) return ReadIamPolicySearch(text, source_name);
  if (format == InputFormat::kArmTemplate) return ReadArmTemplate(text, source_name, parameters);
  // Read with its values' lines and columns (SARIF regions, file:line diagnostics), as templates.
  if (format == InputFormat::kTerraform) return ReadTerraformPlan(text, source_name);
  if (format == InputFormat::kAuthorizationDetails) {
    return ReadGaad(text, source_name, sniffed, explicit_format);
  }
  // The template reader records each resource's line and column as it parses (SARIF regions,
  // file:line diagnostics); the generic JSON path below would keep only pointers.
  if (format == InputFormat::kCloudFormation) {
    return ReadCloudFormationTemplate(text, source_name, parameters);
  }
  // `gcloud … get-iam-policy` output is readable only with the resource it is attached to, which
  // it does not name: say so, and how to give it, rather than "unknown format".
  if (format == InputFormat::kAuto && LooksLikeIamPolicy(text)) {
    AdapterResult result;
    AddDiagnostic(
        &result.diagnostics, kError, PointerLocation(source_name, ""),
        absl::StrCat("this is `gcloud … get-iam-policy --format=json` output (an IAM policy: "
                     "bindings, etag, version), which does not name the resource it is attached "
                     "to, so it is not read as a FILE; give that resource with --gcp-policy "
                     "RESOURCE=",
                     core::Sv(source_name),
                     " (RESOURCE: organizations/N, folders/N, projects/P, "
                     "projects/P/locations/L/keyRings/R or …/keyRings/R/cryptoKeys/K)"));
    return result;
  }
  return internal::ReadJsonText<AdapterResult>(
      text, source_name, [&](const Json& root, std::string_view file) {
        switch (format) {
          case InputFormat::kConfig:
            return ReadConfigItemsJson(root, file);
          case InputFormat::kCloudFormation:
            return ReadCloudFormationJson(root, file, nullptr, parameters);
          case InputFormat::kAuto:
          case InputFormat::kTerraform:  // read above, with positions
          case InputFormat::kAuthorizationDetails:
          case InputFormat::kGcpAssetInventory:
          case InputFormat::kAzureCli:
          case InputFormat::kArmTemplate:
          case InputFormat::kGcpIamPolicySearch:
            break;
        }
        AdapterResult unknown;
        AddDiagnostic(&unknown.diagnostics, kError, PointerLocation(file, ""),
                      absl::StrCat("unknown snapshot format (", DescribeKeys(sniffed), "); ",
                                   kExpected, "; --input-format chooses one"));
        return unknown;
      });
}

}  // namespace kmsguard::adapters
