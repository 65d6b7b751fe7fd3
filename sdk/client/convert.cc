#include "sdk/client/convert.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

#include <simdjson.h>
#include <type_traits>

namespace kmsguard::client {

namespace v1 = ::kmsguard::plugin::v1;

namespace {


template <typename Container>
void CopyStrings(const Container& from, google::protobuf::RepeatedPtrField<std::string>* to) {
  to->Reserve(static_cast<int>(from.size()));
  for (const auto& s : from) to->Add(ValidUtf8(s));
}

std::vector<std::string> ToVector(const google::protobuf::RepeatedPtrField<std::string>& from) {
  return {from.begin(), from.end()};
}

template <typename Set>
void FillSet(const google::protobuf::RepeatedPtrField<std::string>& from, Set* to) {
  to->insert(from.begin(), from.end());
}

void ToProto(const model::ComplianceRef& ref, v1::ComplianceRef* out) {
  out->set_standard(ValidUtf8(ref.standard));
  out->set_control(ValidUtf8(ref.control));
}

model::ComplianceRef FromProto(const v1::ComplianceRef& ref) {
  return {.standard = ref.standard(), .control = ref.control()};
}

void ToProto(const model::Evidence& evidence, v1::Evidence* out) {
  out->set_policy_name(ValidUtf8(evidence.policy_name));
  out->set_statement_index(evidence.statement_index);
  out->set_sid(ValidUtf8(evidence.sid));
  out->set_effect(ValidUtf8(evidence.effect));
  CopyStrings(evidence.actions, out->mutable_actions());
  CopyStrings(evidence.action_patterns, out->mutable_action_patterns());
  out->set_not_action(evidence.not_action);
  CopyStrings(evidence.resource_patterns, out->mutable_resource_patterns());
  out->set_not_resource(evidence.not_resource);
  CopyStrings(evidence.condition_keys, out->mutable_condition_keys());
  out->set_note(ValidUtf8(evidence.note));
}

model::Evidence FromProto(const v1::Evidence& evidence) {
  model::Evidence out;
  out.policy_name = evidence.policy_name();
  out.statement_index = evidence.statement_index();
  out.sid = evidence.sid();
  out.effect = evidence.effect();
  out.actions = ToVector(evidence.actions());
  out.action_patterns = ToVector(evidence.action_patterns());
  out.not_action = evidence.not_action();
  out.resource_patterns = ToVector(evidence.resource_patterns());
  out.not_resource = evidence.not_resource();
  out.condition_keys = ToVector(evidence.condition_keys());
  out.note = evidence.note();
  return out;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest says where.
std::string WithoutExceptionTag(const char* what) {
  std::string text = what;
  if (!text.empty() && text.front() == '[') {
    const std::size_t end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

// "line L, column C" of the last byte the parser read. nlohmann's own position counts a newline
// that ends the bad token as the start of the next line ("line 3, column 0").
std::string PositionOfByte(std::string_view text, std::size_t byte) {
  const std::size_t index = std::min(byte > 0 ? byte - 1 : 0, text.size());
  const std::string_view before = text.substr(0, index);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column = line_start == std::string_view::npos ? index + 1 : index - line_start;
  return absl::StrCat("line ", line, ", column ", column);
}

// The parser's explanation without its tag and position ("syntax error while parsing ...").
std::string ParseErrorReason(const nlohmann::json::parse_error& e) {
  std::string text = WithoutExceptionTag(e.what());
  if (text.starts_with("parse error")) {
    const std::size_t colon = text.find(": ");
    if (colon != std::string::npos) text.erase(0, colon + 2);
  }
  return text;
}

}  // namespace

std::string ValidUtf8(std::string_view text) { return core::ValidUtf8(text); }

v1::Severity ToProto(model::Severity severity) {
  switch (severity) {
    case model::Severity::kInformational:
      return v1::SEVERITY_INFORMATIONAL;
    case model::Severity::kLow:
      return v1::SEVERITY_LOW;
    case model::Severity::kMedium:
      return v1::SEVERITY_MEDIUM;
    case model::Severity::kHigh:
      return v1::SEVERITY_HIGH;
    case model::Severity::kCritical:
      return v1::SEVERITY_CRITICAL;
  }
  return v1::SEVERITY_UNSPECIFIED;
}

model::Severity FromProto(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_INFORMATIONAL:
      return model::Severity::kInformational;
    case v1::SEVERITY_LOW:
      return model::Severity::kLow;
    case v1::SEVERITY_HIGH:
      return model::Severity::kHigh;
    case v1::SEVERITY_CRITICAL:
      return model::Severity::kCritical;
    default:
      return model::Severity::kMedium;
  }
}

v1::Status ToProto(model::Status status) {
  switch (status) {
    case model::Status::kPass:
      return v1::STATUS_PASS;
    case model::Status::kWarning:
      return v1::STATUS_WARNING;
    case model::Status::kFail:
      return v1::STATUS_FAIL;
    case model::Status::kError:
      return v1::STATUS_ERROR;
    case model::Status::kSuppressed:
      return v1::STATUS_SUPPRESSED;
  }
  return v1::STATUS_ERROR;
}

model::Status FromProto(v1::Status status) {
  switch (status) {
    case v1::STATUS_PASS:
      return model::Status::kPass;
    case v1::STATUS_WARNING:
      return model::Status::kWarning;
    case v1::STATUS_FAIL:
      return model::Status::kFail;
    case v1::STATUS_SUPPRESSED:
      return model::Status::kSuppressed;
    default:
      return model::Status::kError;
  }
}

void ToProto(const core::SourceLocation& location, v1::SourceLocation* out) {
  out->set_file(ValidUtf8(location.file));
  out->set_line(location.line);
  out->set_column(location.column);
  out->set_json_pointer(ValidUtf8(location.json_pointer));
  out->set_resource_id(ValidUtf8(location.resource_id));
}

core::SourceLocation FromProto(const v1::SourceLocation& location) {
  core::SourceLocation out;
  out.file = location.file();
  out.line = location.line();
  out.column = location.column();
  out.json_pointer = location.json_pointer();
  out.resource_id = location.resource_id();
  return out;
}

namespace {

// A string for a proto3 `string` field: valid UTF-8 as it is (moved when it may be), anything
// else with its bad sequences replaced.
std::string Text(const std::string& text) { return ValidUtf8(text); }
std::string Text(std::string&& text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return std::move(text);
  return ValidUtf8(text);
}

template <typename Strings>
void TextList(Strings&& from, google::protobuf::RepeatedPtrField<std::string>* to) {
  to->Reserve(static_cast<int>(from.size()));
  for (auto& s : from) {
    if constexpr (std::is_lvalue_reference_v<Strings>) {
      to->Add(Text(s));
    } else {
      to->Add(Text(std::move(s)));
    }
  }
}

}  // namespace

// Both forms of ToProto(Finding): a finding the caller still needs is copied; one it hands over
// (the plugin's, once evaluated) gives up its strings, which are most of its bytes. Outside the
// unnamed namespace so that both this file's and the header's ToProto overloads are found.
template <typename F>
void FindingToProto(F&& f, v1::Finding* out) {
  auto&& finding = std::forward<F>(f);
  using Finding = decltype(finding);
  const auto take = [](auto& field) {
    if constexpr (std::is_const_v<std::remove_reference_t<Finding>>) {
      return Text(field);
    } else {
      return Text(std::move(field));
    }
  };
  out->set_rule_id(take(finding.rule_id));
  out->set_rule_version(take(finding.rule_version));
  out->set_title(take(finding.title));
  out->set_severity(ToProto(finding.severity));
  out->set_status(ToProto(finding.status));
  out->set_resource_id(take(finding.resource_id));
  out->set_resource_type(take(finding.resource_type));
  out->set_resource_name(take(finding.resource_name));
  out->set_provider(take(finding.provider));
  out->set_partition(take(finding.partition));
  out->set_account(take(finding.account));
  out->set_organization(take(finding.organization));
  out->set_organizational_unit(take(finding.organizational_unit));
  out->set_region(take(finding.region));
  out->set_sub_key(take(finding.sub_key));
  out->set_message(take(finding.message));
  v1::Remediation* remediation = out->mutable_remediation();
  remediation->set_summary(take(finding.remediation.summary));
  remediation->set_console(take(finding.remediation.console));
  remediation->set_cli(take(finding.remediation.cli));
  remediation->set_terraform(take(finding.remediation.terraform));
  for (const auto& ref : finding.compliance) ToProto(ref, out->add_compliance());
  for (const auto& evidence : finding.evidence) ToProto(evidence, out->add_evidence());
  out->set_conditional(finding.conditional);
  ToProto(finding.source, out->mutable_source());
  if constexpr (std::is_const_v<std::remove_reference_t<Finding>>) {
    TextList(finding.exposed_to, out->mutable_exposed_to());
  } else {
    TextList(std::move(finding.exposed_to), out->mutable_exposed_to());
  }
  out->set_exposure(take(finding.exposure));
  if constexpr (std::is_const_v<std::remove_reference_t<Finding>>) {
    TextList(finding.explanation, out->mutable_explanation());
  } else {
    TextList(std::move(finding.explanation), out->mutable_explanation());
  }
  if (finding.status == model::Status::kSuppressed) {
    v1::Suppression* suppression = out->mutable_suppression();
    suppression->set_status(ToProto(finding.suppression.status));
    suppression->set_reason(take(finding.suppression.reason));
    suppression->set_owner(take(finding.suppression.owner));
    suppression->set_expires(take(finding.suppression.expires));
  }
  out->set_rule_severity(ToProto(finding.RuleSeverity()));
  for (auto& change : finding.severity_changes) {
    v1::SeverityChange* to = out->add_severity_changes();
    to->set_from_severity(ToProto(change.from));
    to->set_to_severity(ToProto(change.to));
    to->set_reason(take(change.reason));
  }
}

void ToProto(const model::Finding& finding, v1::Finding* out) { FindingToProto(finding, out); }
void ToProto(model::Finding&& finding, v1::Finding* out) {
  FindingToProto(std::move(finding), out);
}

model::Finding FromProto(const v1::Finding& finding) {
  model::Finding out;
  out.rule_id = finding.rule_id();
  out.rule_version = finding.rule_version();
  out.title = finding.title();
  out.severity = FromProto(finding.severity());
  out.status = FromProto(finding.status());
  out.resource_id = finding.resource_id();
  out.resource_type = finding.resource_type();
  out.resource_name = finding.resource_name();
  out.provider = finding.provider();
  out.partition = finding.partition();
  out.account = finding.account();
  out.organization = finding.organization();
  out.organizational_unit = finding.organizational_unit();
  out.region = finding.region();
  out.sub_key = finding.sub_key();
  out.message = finding.message();
  out.remediation.summary = finding.remediation().summary();
  out.remediation.console = finding.remediation().console();
  out.remediation.cli = finding.remediation().cli();
  out.remediation.terraform = finding.remediation().terraform();
  for (const auto& ref : finding.compliance()) out.compliance.push_back(FromProto(ref));
  for (const auto& evidence : finding.evidence()) out.evidence.push_back(FromProto(evidence));
  out.conditional = finding.conditional();
  out.source = FromProto(finding.source());
  out.exposed_to = ToVector(finding.exposed_to());
  out.exposure = finding.exposure();
  out.explanation = ToVector(finding.explanation());
  if (finding.has_suppression()) {
    out.suppression.status = FromProto(finding.suppression().status());
    out.suppression.reason = finding.suppression().reason();
    out.suppression.owner = finding.suppression().owner();
    out.suppression.expires = finding.suppression().expires();
  }
  for (const auto& change : finding.severity_changes()) {
    out.severity_changes.push_back(
        {FromProto(change.from_severity()), FromProto(change.to_severity()), change.reason()});
  }
  // A plugin that states a rule severity but not how it changed: one change, no reason given,
  // so that the model's rule severity is the plugin's.
  if (out.severity_changes.empty() && finding.rule_severity() != v1::SEVERITY_UNSPECIFIED &&
      FromProto(finding.rule_severity()) != out.severity) {
    out.severity_changes.push_back({FromProto(finding.rule_severity()), out.severity, ""});
  }
  return out;
}

void ToProto(const model::ScanSummary& summary, v1::ScanSummary* out) {
  out->set_resources_received(summary.resources_received);
  out->set_resources_evaluated(summary.resources_evaluated);
  out->set_resource_errors(summary.resource_errors);
  out->set_pass(summary.pass);
  out->set_warning(summary.warning);
  out->set_fail(summary.fail);
  out->set_error(summary.error);
  out->set_suppressed(summary.suppressed);
  // std::set iterates in order, so the lists come out sorted.
  CopyStrings(summary.rule_ids, out->mutable_rule_ids());
  CopyStrings(summary.resource_types, out->mutable_resource_types());
  CopyStrings(summary.accounts, out->mutable_accounts());
  CopyStrings(summary.regions, out->mutable_regions());
}

model::ScanSummary FromProto(const v1::ScanSummary& summary) {
  model::ScanSummary out;
  out.resources_received = summary.resources_received();
  out.resources_evaluated = summary.resources_evaluated();
  out.resource_errors = summary.resource_errors();
  out.pass = summary.pass();
  out.warning = summary.warning();
  out.fail = summary.fail();
  out.error = summary.error();
  out.suppressed = summary.suppressed();
  FillSet(summary.rule_ids(), &out.rule_ids);
  FillSet(summary.resource_types(), &out.resource_types);
  FillSet(summary.accounts(), &out.accounts);
  FillSet(summary.regions(), &out.regions);
  return out;
}

void ToProto(const rules::Rule& rule, v1::RuleInfo* out) {
  out->set_id(ValidUtf8(rule.id));
  out->set_version(ValidUtf8(rule.version));
  out->set_title(ValidUtf8(rule.title));
  out->set_severity(ToProto(rule.severity));
  for (const auto& ref : rule.compliance) ToProto(ref, out->add_compliance());
  CopyStrings(rule.resource_types, out->mutable_resource_types());
  out->set_provider(ValidUtf8(rule.provider));
}

RuleInfo FromProto(const v1::RuleInfo& rule) {
  RuleInfo out;
  out.id = rule.id();
  out.version = rule.version();
  out.title = rule.title();
  out.severity = FromProto(rule.severity());
  for (const auto& ref : rule.compliance()) out.compliance.push_back(FromProto(ref));
  out.resource_types = ToVector(rule.resource_types());
  out.provider = rule.provider();
  return out;
}

PluginInfo FromProto(const v1::GetPluginInfoResponse& info) {
  PluginInfo out;
  out.name = info.name();
  out.version = info.version();
  out.protocol_version = info.protocol_version();
  for (const auto& rule : info.rules()) out.rules.push_back(FromProto(rule));
  out.max_message_bytes = info.limits().max_message_bytes();
  out.max_batch_size = info.limits().max_batch_size();
  out.resource_types = ToVector(info.resource_types());
  return out;
}

void ToProto(const ResourceError& error, v1::ResourceError* out) {
  out->set_resource_id(ValidUtf8(error.resource_id));
  out->set_message(ValidUtf8(error.message));
  out->set_code(ValidUtf8(error.code));
  ToProto(error.source, out->mutable_source());
}

ResourceError FromProto(const v1::ResourceError& error) {
  return {.resource_id = error.resource_id(),
          .message = error.message(),
          .code = error.code(),
          .source = FromProto(error.source())};
}

void ToProto(const core::Diagnostic& diagnostic, v1::ScanDiagnostic* out) {
  out->set_severity(diagnostic.severity == core::DiagnosticSeverity::kWarning
                        ? v1::DIAGNOSTIC_SEVERITY_WARNING
                        : v1::DIAGNOSTIC_SEVERITY_ERROR);
  out->set_code(ValidUtf8(diagnostic.code));
  out->set_message(ValidUtf8(diagnostic.message));
  ToProto(diagnostic.location, out->mutable_source());
}

core::Diagnostic FromProto(const v1::ScanDiagnostic& diagnostic) {
  core::Diagnostic out;
  out.severity = diagnostic.severity() == v1::DIAGNOSTIC_SEVERITY_WARNING
                     ? core::DiagnosticSeverity::kWarning
                     : core::DiagnosticSeverity::kError;
  out.code = diagnostic.code();
  out.message = diagnostic.message();
  out.location = FromProto(diagnostic.source());
  return out;
}

void ToProto(const model::Resource& resource, v1::Resource* out) {
  out->set_id(ValidUtf8(resource.id));
  out->set_type(ValidUtf8(resource.type));
  out->set_provider(ValidUtf8(resource.provider));
  out->set_partition(ValidUtf8(resource.partition));
  out->set_account(ValidUtf8(resource.account));
  out->set_region(ValidUtf8(resource.region));
  out->set_name(ValidUtf8(resource.name));
  // Text a reader already holds goes as it is (the export reader's minified entry); a document
  // built in memory is serialized with invalid UTF-8 replaced, so this never throws.
  if (!resource.document_text.empty()) {
    out->set_document_json(ValidUtf8(resource.document_text));
  } else {
    out->set_document_json(model::DocumentText(resource));
  }
  ToProto(resource.source, out->mutable_source());
}

absl::StatusOr<model::Resource> ResourceFromProto(const v1::Resource& resource) {
  model::Resource out;
  out.id = resource.id();
  out.type = resource.type();
  if (!resource.provider().empty()) out.provider = resource.provider();
  out.partition = resource.partition();
  out.account = resource.account();
  if (!resource.region().empty()) out.region = resource.region();
  out.name = resource.name();
  out.source = FromProto(resource.source());
  if (out.source.resource_id.empty()) out.source.resource_id = resource.id();

  const std::string& text = resource.document_json();
  const std::string who =
      absl::StrCat("resource ", resource.id().empty() ? "<no id>" : resource.id());
  if (text.empty())
    return absl::InvalidArgumentError(absl::StrCat(who, ": document_json is empty"));
  // Read once, with simdjson, and kept for the engine; the text goes along for what needs it.
  core::JsonTreeResult parsed =
      core::ParseJsonTree(text, static_cast<std::size_t>(kMaxDocumentDepth));
  switch (parsed.error) {
    case core::JsonTreeError::kNone:
      break;
    case core::JsonTreeError::kTooDeep:
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": document_json nests deeper than ", kMaxDocumentDepth, " levels"));
    case core::JsonTreeError::kRepeatedKey:
      // Which of two equal keys counts is undefined in JSON; the file readers refuse it too.
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": document_json repeats the key \"", parsed.repeated_key,
                       "\" in one object: which value counts is undefined"));
    default:
      // simdjson does not say where; nlohmann does (a cold path: the resource is refused).
      try {
        const nlohmann::json unused = nlohmann::json::parse(text);
        static_cast<void>(unused);
      } catch (const nlohmann::json::parse_error& e) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": document_json is not JSON: ", PositionOfByte(text, e.byte), ": ",
                         ParseErrorReason(e)));
      } catch (const std::exception& e) {
        return absl::InvalidArgumentError(absl::StrCat(
            who, ": document_json could not be read: ", WithoutExceptionTag(e.what())));
      }
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": document_json is not JSON: ", parsed.message));
  }
  out.document_text = text;
  out.document_tree = std::move(parsed.tree);
  return out;
}

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          max_depth = depth;
          if (max_depth > limit) return limit + 1;
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return max_depth;
}

}  // namespace kmsguard::client
