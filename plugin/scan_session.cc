#include "plugin/scan_session.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/azure/inventory.h"
#include "sdk/client/convert.h"
#include "sdk/client/protocol.h"
#include "sdk/gcp/effective_grant.h"
#include "sdk/gcp/inventory.h"

namespace kmsguard::plugin {

namespace {

// Findings go out in batches of at most this many, or about this many bytes, whichever comes
// first: large enough to amortize per-message cost, small enough to stay far from the limit.
constexpr int kMaxFindingsPerBatch = 500;
constexpr std::size_t kFindingBatchBytes = 1024 * 1024;

// One finding may not exceed this, serialized: a principal with dozens of policies of thousands
// of long patterns yields evidence, explanation and a rewritten policy of tens of MB, which would
// fail the whole response (gRPC's message limit) and with it every other finding of the scan.
constexpr std::size_t kMaxFindingBytes = 512 * 1024;
constexpr std::size_t kKeptListItems = 20;
constexpr std::size_t kKeptTextBytes = 16 * 1024;

// Keeps the first items of `list` and says how many were left out.
void CutList(std::vector<std::string>* list) {
  if (list->size() <= kKeptListItems) return;
  const std::size_t left_out = list->size() - kKeptListItems;
  list->resize(kKeptListItems);
  list->push_back(absl::StrCat("... (", left_out, " more left out: the finding was too large)"));
}

void CutText(std::string* text) {
  if (text->size() <= kKeptTextBytes) return;
  std::size_t end = kKeptTextBytes;
  // Not inside a UTF-8 sequence.
  while (end > 0 && (static_cast<unsigned char>((*text)[end]) & 0xC0) == 0x80) --end;
  const std::size_t left_out = text->size() - end;
  text->resize(end);
  absl::StrAppend(text, "\n... (", left_out, " bytes left out: the finding was too large)");
}

// Shrinks an oversized finding, keeping its verdict, rule and resource: a FAIL stays a FAIL.
void ShrinkToFit(v1::Finding* message, model::Finding* finding) {
  if (message->ByteSizeLong() <= kMaxFindingBytes) return;
  const std::size_t original = message->ByteSizeLong();
  for (model::Evidence& e : finding->evidence) {
    CutList(&e.actions);
    CutList(&e.action_patterns);
    CutList(&e.resource_patterns);
    CutList(&e.condition_keys);
    CutText(&e.note);
  }
  if (finding->evidence.size() > kKeptListItems) {
    finding->evidence.resize(kKeptListItems);
  }
  CutList(&finding->explanation);
  for (std::string& line : finding->explanation) CutText(&line);
  CutList(&finding->exposed_to);
  for (std::string* text : {&finding->message, &finding->exposure, &finding->remediation.summary,
                            &finding->remediation.console, &finding->remediation.cli,
                            &finding->remediation.terraform}) {
    CutText(text);
  }
  const std::string note = absl::StrCat(
      " (This finding was ", original, " bytes serialized, over the plugin's ", kMaxFindingBytes,
      "-byte limit per finding: its evidence, explanation and remediation were shortened.)");
  finding->message += note;
  message->Clear();
  client::ToProto(*finding, message);
  if (message->ByteSizeLong() <= kMaxFindingBytes) return;
  // Still too large (thousands of policies): keep only what identifies the verdict.
  finding->evidence.clear();
  finding->explanation.clear();
  finding->remediation = {};
  message->Clear();
  client::ToProto(*finding, message);
}

void Count(const model::Finding& finding, model::ScanSummary* summary) {
  switch (finding.status) {
    case model::Status::kPass:
      ++summary->pass;
      break;
    case model::Status::kWarning:
      ++summary->warning;
      break;
    case model::Status::kFail:
      ++summary->fail;
      break;
    case model::Status::kError:
      ++summary->error;
      break;
    case model::Status::kSuppressed:
      ++summary->suppressed;
      break;
  }
  summary->rule_ids.insert(finding.rule_id);
}

}  // namespace

// Collects findings into FindingBatch responses.
class ScanSession::FindingBatcher {
 public:
  explicit FindingBatcher(std::vector<v1::EvaluateResponse>* out) : out_(out) {}

  // Takes the finding's strings (most of its bytes) rather than copying them.
  void Add(model::Finding&& finding) {
    v1::Finding* message = current_.mutable_finding_batch()->add_findings();
    client::ToProto(std::move(finding), message);
    std::size_t size = message->ByteSizeLong();
    if (size > kMaxFindingBytes) {
      model::Finding whole = client::FromProto(*message);  // rare: read back what was moved
      ShrinkToFit(message, &whole);
      size = message->ByteSizeLong();
    }
    bytes_ += size;
    if (current_.finding_batch().findings_size() >= kMaxFindingsPerBatch ||
        bytes_ >= kFindingBatchBytes) {
      Flush();
    }
  }

  void Flush() {
    if (current_.finding_batch().findings_size() == 0) return;
    out_->push_back(std::move(current_));
    current_.Clear();
    bytes_ = 0;
  }

 private:
  std::vector<v1::EvaluateResponse>* out_;
  v1::EvaluateResponse current_;
  std::size_t bytes_ = 0;
};

ScanSession::ScanSession(std::shared_ptr<const engine::Evaluator> evaluator, int max_batch_size,
                         std::function<bool()> cancelled)
    : evaluator_(std::move(evaluator)),
      max_batch_size_(max_batch_size),
      cancelled_(std::move(cancelled)) {}

absl::Status ScanSession::Handle(const v1::EvaluateRequest& request,
                                 std::vector<v1::EvaluateResponse>* out) {
  switch (request.kind_case()) {
    case v1::EvaluateRequest::kScanStart:
      if (state_ != State::kAwaitingStart) {
        return absl::InvalidArgumentError("ScanStart sent twice; one Evaluate call is one scan");
      }
      return Start(request.scan_start());
    case v1::EvaluateRequest::kResourceBatch: {
      v1::ResourceBatch batch = request.resource_batch();
      absl::StatusOr<BatchWork> work = Accept(&batch);
      if (!work.ok()) return work.status();
      BatchResult result = Evaluate(*work);
      Merge(result.summary);
      for (auto& response : result.responses) out->push_back(std::move(response));
      return result.status;
    }
    case v1::EvaluateRequest::kScanEnd:
      if (state_ != State::kScanning) {
        return absl::InvalidArgumentError("ScanEnd sent before ScanStart");
      }
      End(out);
      return absl::OkStatus();
    case v1::EvaluateRequest::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "EvaluateRequest has none of scan_start, resource_batch, scan_end set");
}

absl::Status ScanSession::Start(const v1::ScanStart& start) {
  scan_id_ = start.scan_id();
  omit_pass_ = start.omit_pass_findings();
  engine::EvaluationOptions options = evaluator_->options();
  if (start.skip_specific_remediation()) options.specific_remediation = false;
  if (start.skip_explanation()) options.explanation = false;
  if (start.rule_ids_size() == 0 &&
      (start.skip_specific_remediation() || start.skip_explanation())) {
    // A scan-local evaluator over the shared rule set, with this scan's options.
    evaluator_ = std::make_shared<const engine::Evaluator>(
        std::shared_ptr<const rules::RuleSet>(evaluator_, &evaluator_->rule_set()),
        evaluator_->today(), options);
  }
  if (start.rule_ids_size() > 0) {
    const std::set<std::string> wanted(start.rule_ids().begin(), start.rule_ids().end());
    std::vector<rules::Rule> selected;
    std::set<std::string> found;
    for (const auto& rule : evaluator_->rule_set().rules()) {
      if (wanted.contains(rule.id)) {
        selected.push_back(rule);
        found.insert(rule.id);
      }
    }
    std::vector<std::string> unknown;
    for (const auto& id : wanted) {
      if (!found.contains(id)) unknown.push_back(id);
    }
    if (!unknown.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ScanStart.rule_ids names rules that are not loaded: ", absl::StrJoin(unknown, ", ")));
    }
    // A scan-local rule set: the shared one stays untouched, and this one dies with the call.
    evaluator_ = std::make_shared<const engine::Evaluator>(
        std::make_shared<const rules::RuleSet>(std::move(selected)), evaluator_->today(), options);
  }
  state_ = State::kScanning;
  return absl::OkStatus();
}

absl::StatusOr<ScanSession::BatchWork> ScanSession::Accept(v1::ResourceBatch* batch) {
  if (state_ != State::kScanning) {
    return absl::InvalidArgumentError("ResourceBatch sent before ScanStart");
  }
  ++batches_;
  if (batch->resources_size() > max_batch_size_) {
    return absl::ResourceExhaustedError(absl::StrCat("ResourceBatch ", batches_, " holds ",
                                                     batch->resources_size(),
                                                     " resources; the limit is ", max_batch_size_));
  }
  BatchWork work;
  work.number = batches_;
  work.batch.Swap(batch);
  return work;
}

ScanSession::BatchResult ScanSession::Evaluate(const BatchWork& work) const {
  BatchResult result;
  FindingBatcher findings(&result.responses);
  for (int i = 0; i < work.batch.resources_size(); ++i) {
    if (cancelled_ && cancelled_()) {
      result.status = absl::CancelledError(absl::StrCat(
          "evaluation stopped in ResourceBatch ", work.number,
          ": the call was cancelled (deadline passed, host went away, or the plugin is stopping)"));
      break;
    }
    EvaluateOne(work.batch.resources(i), work.number, i, &findings, &result);
  }
  findings.Flush();
  return result;
}

void ScanSession::Merge(const model::ScanSummary& batch) { summary_.Add(batch); }

void ScanSession::EvaluateOne(const v1::Resource& resource, std::int64_t batch, int index,
                              FindingBatcher* findings, BatchResult* out) const {
  model::ScanSummary& summary = out->summary;
  ++summary.resources_received;
  if (resource.id().empty() || resource.type().empty()) {
    AddResourceError(
        resource,
        absl::StrCat("resource ", index, " of ResourceBatch ", batch, " (id \"", resource.id(),
                     "\") has no ", resource.id().empty() ? "id" : "type"),
        client::kResourceInvalid, out);
    return;
  }
  absl::StatusOr<model::Resource> parsed = client::ResourceFromProto(resource);
  if (!parsed.ok()) {
    AddResourceError(resource, std::string(parsed.status().message()), client::kResourceParseError,
                     out);
    return;
  }
  // Types are spelled as CloudFormation and AWS Config spell them, case included; a type in
  // another case would match no rule and pass silently.
  if (evaluator_->rule_set().ForType(resource.type()).empty()) {
    for (const rules::Rule& rule : evaluator_->rule_set().rules()) {
      for (const std::string& type : rule.resource_types) {
        if (type != resource.type() && absl::EqualsIgnoreCase(type, resource.type())) {
          AddResourceError(resource,
                           absl::StrCat("resource ", resource.id(), " has type \"", resource.type(),
                                        "\"; resource types are case-sensitive: did you mean \"",
                                        type, "\"?"),
                           client::kResourceInvalid, out);
          return;
        }
      }
    }
  }
  // The engine reads the document in either shape (normalized, or an export entry), once.
  model::Resource& normalized = *parsed;
  if (model::JoinedAtScanEnd(normalized.provider)) {
    const std::lock_guard<std::mutex> lock(deferred_mutex_);
    deferred_.messages.push_back(resource);
    deferred_.resources.push_back(std::move(normalized));
    deferred_.read_order.emplace_back(batch, index);
    return;
  }
  Judge(resource, normalized, {}, findings, out);
}

void ScanSession::Judge(const v1::Resource& resource, const model::Resource& normalized,
                        const engine::ScanJoins& joins, FindingBatcher* findings,
                        BatchResult* out) const {
  model::ScanSummary& summary = out->summary;
  std::vector<model::Finding> results;
  try {
    results = evaluator_->Evaluate(normalized, joins);
  } catch (const std::exception& e) {
    AddResourceError(resource,
                     absl::StrCat("resource ", resource.id(), ": evaluation failed: ", e.what()),
                     client::kEvalError, out);
    return;
  }
  ++summary.resources_evaluated;
  summary.resource_types.insert(normalized.type);
  if (!normalized.account.empty()) summary.accounts.insert(normalized.account);
  if (!normalized.region.empty()) summary.regions.insert(normalized.region);
  for (model::Finding& finding : results) {
    Count(finding, &summary);
    if (omit_pass_ && finding.status == model::Status::kPass) continue;
    findings->Add(std::move(finding));
  }
}

void ScanSession::AddResourceError(const v1::Resource& resource, std::string message,
                                   const char* code, BatchResult* out) {
  ++out->summary.resource_errors;
  v1::ResourceError* error = out->responses.emplace_back().mutable_resource_error();
  error->set_resource_id(resource.id());
  error->set_message(client::ValidUtf8(message));
  error->set_code(code);
  *error->mutable_source() = resource.source();
  if (error->source().resource_id().empty()) {
    error->mutable_source()->set_resource_id(resource.id());
  }
}

void ScanSession::InReadOrder(Deferred* deferred) {
  std::vector<std::size_t> order(deferred->resources.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return deferred->read_order[a] < deferred->read_order[b];
  });
  Deferred sorted;
  sorted.messages.reserve(order.size());
  sorted.resources.reserve(order.size());
  sorted.read_order.reserve(order.size());
  for (const std::size_t i : order) {
    sorted.messages.push_back(std::move(deferred->messages[i]));
    sorted.resources.push_back(std::move(deferred->resources[i]));
    sorted.read_order.push_back(deferred->read_order[i]);
  }
  *deferred = std::move(sorted);
}

void ScanSession::EvaluateDeferred(std::vector<v1::EvaluateResponse>* out) {
  Deferred deferred;
  {
    const std::lock_guard<std::mutex> lock(deferred_mutex_);
    std::swap(deferred, deferred_);
  }
  if (deferred.resources.empty()) return;
  InReadOrder(&deferred);
  const gcp::InventoryResult gcp_joined = gcp::BuildInventory(deferred.resources);
  const azure::InventoryResult azure_joined = azure::BuildInventory(deferred.resources);
  const gcp::GrantIndex gcp_grants(gcp_joined.inventory);
  const engine::ScanJoins joins{&gcp_joined.inventory, &azure_joined.inventory, &gcp_grants};
  // What the join could not read or found contradictory concerns the picture, not one resource:
  // it goes to the host, which reports it with its own input problems, before the findings.
  for (const core::Diagnostics* joined : {&gcp_joined.diagnostics, &azure_joined.diagnostics}) {
    for (const core::Diagnostic& diagnostic : *joined) {
      client::ToProto(diagnostic, out->emplace_back().mutable_scan_diagnostic());
    }
  }
  BatchResult result;
  FindingBatcher findings(&result.responses);
  for (std::size_t i = 0; i < deferred.resources.size(); ++i) {
    model::Resource& resource = deferred.resources[i];
    // Named in the joined picture: the project by id, the organization and folder above it, an
    // Azure subscription's tenant. Judge copies them into the findings (OCSF cloud.org).
    if (resource.provider == "gcp") {
      resource.account = gcp::ProjectAccount(gcp_joined.inventory, resource.account);
      gcp::Organization org = gcp::OrganizationOf(gcp_joined.inventory, resource.id);
      resource.organization = std::move(org.organization);
      resource.organizational_unit = std::move(org.folder);
    } else if (resource.provider == "azure") {
      resource.organization = azure_joined.inventory.TenantOf(resource.account);
    }
    Judge(deferred.messages[i], resource, joins, &findings, &result);
  }
  findings.Flush();
  Merge(result.summary);
  for (auto& response : result.responses) out->push_back(std::move(response));
}

void ScanSession::End(std::vector<v1::EvaluateResponse>* out) {
  EvaluateDeferred(out);
  v1::ScanSummary* summary = out->emplace_back().mutable_scan_summary();
  client::ToProto(summary_, summary);
  summary->set_scan_id(scan_id_);
  state_ = State::kEnded;
}

}  // namespace kmsguard::plugin
