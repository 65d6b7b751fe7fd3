#include "plugin/plugin_service.h"

#include <boost/asio/post.hpp>
#include <ctime>
#include <deque>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "plugin/scan_session.h"
#include "plugin/version.h"
#include "sdk/client/convert.h"
#include "sdk/client/protocol.h"
#include "sdk/core/json_text.h"

namespace kmsguard::plugin {

namespace {

// Optional features, reported in GetPluginInfoResponse.capabilities.
constexpr const char* kCapabilities[] = {
    "evaluate.bidi_stream",  "evaluate.rule_filter", "evaluate.resource_errors_in_band",
    "evaluate.cancellation", "health.v1",            "reload.sighup",
    "version_negotiation",   "go_plugin.grpc_controller"};
constexpr const char* kInputFormats[] = {"normalized", "aws.iam.authorization_details"};

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      client::ValidUtf8(std::string(status.message())));
}

bool HasRules(const engine::Evaluator* evaluator) {
  return evaluator != nullptr && !evaluator->rule_set().rules().empty();
}

std::string NowRfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string JsonText(const nlohmann::json& value) { return core::DumpJson(value); }

void AddParams(const rules::Rule& rule, v1::RuleInfo* out) {
  out->set_description(client::ValidUtf8(rule.description));
  for (const auto& param : rule.params) {
    v1::RuleParam* p = out->add_params();
    p->set_name(client::ValidUtf8(param.name));
    p->set_type(client::ValidUtf8(param.type));
    p->set_default_json(JsonText(param.default_value));
    p->set_description(client::ValidUtf8(param.description));
    for (const auto& allowed : param.allowed) p->add_allowed(client::ValidUtf8(allowed));
    const auto value = rule.param_values.find(param.name);
    p->set_value_json(JsonText(value != rule.param_values.end() ? value->second
                                                                 : param.default_value));
  }
}

// One Evaluate call. Batches of one call are evaluated at once on the pool, up to
// `max_in_flight` of them (so one large scan uses every core), and their responses are written in
// request order. Reading stops while that many batches are pending, which keeps memory bounded
// and gives backpressure (a host that stops reading stops being read). Fairness between calls
// comes from the pool's queue: a call holds a thread for one batch at a time, and a batch checks
// for cancellation between resources, so a cancelled or abandoned call stops within one resource.
//
// gRPC allows one read and one write outstanding at a time; both, and every field below, are
// guarded by mu_, because pool threads finish batches concurrently with gRPC's callbacks. The
// reactor deletes itself once gRPC is done with it (OnDone) and no batch is still running.
class EvaluateReactor final
    : public grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse> {
 public:
  EvaluateReactor(grpc::CallbackServerContext* context,
                  std::shared_ptr<const engine::Evaluator> evaluator, int max_batch_size,
                  boost::asio::thread_pool* pool, int max_in_flight, std::atomic<int>* active,
                  bool draining, const std::string& replica_id, const std::string& rules_version)
      // Batches poll the reactor's flag, not the context: a batch may still be running when gRPC
      // is done with the call and has freed its context.
      : session_(evaluator, max_batch_size, [this] { return stopped_.load(); }),
        pool_(pool),
        max_in_flight_(std::max(1, max_in_flight)),
        active_(active) {
    ++*active_;
    // Who answers, and with which rules, travels with the call's first response (or its status):
    // a host spreading a scan over replicas says which replica answered how much.
    if (!replica_id.empty()) context->AddInitialMetadata(client::kReplicaIdHeader, replica_id);
    if (!rules_version.empty()) {
      context->AddInitialMetadata(client::kRulesVersionHeader, rules_version);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (draining) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the plugin is shutting down"));
      return;
    }
    if (!HasRules(evaluator.get())) {
      FinishLocked(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                "the plugin has no rules loaded; see its health status"));
      return;
    }
    ReadLocked();
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = false;
    if (finishing_) return;
    if (!ok) {
      // The host half-closed before ScanEnd, the call was cancelled, or a request was not a
      // valid EvaluateRequest (gRPC does not say which).
      FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                session_.started()
                                    ? "request stream closed before ScanEnd (or a request could "
                                      "not be parsed as an EvaluateRequest)"
                                    : "request stream closed before ScanStart (or a request could "
                                      "not be parsed as an EvaluateRequest)"));
      return;
    }
    if (request_.kind_case() == v1::EvaluateRequest::kResourceBatch) {
      absl::StatusOr<ScanSession::BatchWork> work =
          session_.Accept(request_.mutable_resource_batch());
      if (!work.ok()) {
        FinishLocked(ToGrpc(work.status()));
        return;
      }
      auto pending = std::make_shared<Pending>();
      pending_.push_back(pending);
      ++running_;
      boost::asio::post(*pool_, [this, pending, work = *std::move(work)]() mutable {
        Evaluate(pending, std::move(work));
      });
      if (static_cast<int>(pending_.size()) < max_in_flight_) ReadLocked();
      return;
    }
    // ScanStart and ScanEnd are cheap and ordered: handled here, their responses (ScanEnd's
    // summary) queued behind the batches before them.
    auto pending = std::make_shared<Pending>();
    absl::Status status;
    if (request_.kind_case() == v1::EvaluateRequest::kScanEnd) {
      if (!session_.started()) {
        FinishLocked(ToGrpc(absl::InvalidArgumentError("ScanEnd sent before ScanStart")));
        return;
      }
      end_requested_ = true;
      pending->summary = true;  // rendered when every batch before it is merged
    } else {
      try {
        status = session_.Handle(request_, &pending->responses);
      } catch (const std::exception& e) {
        status = absl::InternalError(std::string("evaluation failed: ") + e.what());
      }
      if (!status.ok()) {
        FinishLocked(ToGrpc(status));
        return;
      }
    }
    pending->done = true;
    pending_.push_back(std::move(pending));
    WriteLocked();
    if (!end_requested_ && static_cast<int>(pending_.size()) < max_in_flight_) ReadLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (finishing_) {
      // Finish waited for this write (gRPC wants no write outstanding when a call finishes).
      if (!finish_sent_) SendFinishLocked();
      return;
    }
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "response stream broken"));
      return;
    }
    ++written_;
    WriteLocked();
  }

  // The host cancelled, went away or its deadline passed: running batches stop at the next
  // resource.
  void OnCancel() override { stopped_ = true; }

  void OnDone() override {
    --*active_;
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      last = running_ == 0;
    }
    if (last) delete this;
  }

 private:
  // The responses of one request, in request order.
  struct Pending {
    bool done = false;
    bool summary = false;  // ScanEnd: the summary, made when it is this one's turn
    std::vector<v1::EvaluateResponse> responses;
  };

  // On a pool thread.
  void Evaluate(const std::shared_ptr<Pending>& pending, ScanSession::BatchWork work) {
    ScanSession::BatchResult result;
    try {
      result = session_.Evaluate(work);
    } catch (const std::exception& e) {
      result.status = absl::InternalError(std::string("evaluation failed: ") + e.what());
    } catch (...) {
      result.status = absl::InternalError("evaluation failed");
    }
    bool remove = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (!result.status.ok()) {
        FinishLocked(ToGrpc(result.status));
      } else {
        session_.Merge(result.summary);
        pending->responses = std::move(result.responses);
        pending->done = true;
        WriteLocked();
      }
      remove = done_ && running_ == 0;
    }
    if (remove) delete this;
  }

  void ReadLocked() {
    if (reading_ || finishing_ || end_requested_) return;
    reading_ = true;
    StartRead(&request_);
  }

  // Writes the next response that is ready, in order; reads on when a request's responses are all
  // out; finishes after the summary.
  void WriteLocked() {
    while (!writing_ && !finishing_ && !pending_.empty() && pending_.front()->done) {
      Pending& front = *pending_.front();
      if (front.summary && front.responses.empty() && written_ == 0) {
        // Every batch before ScanEnd has been merged and written.
        try {
          const absl::Status status = session_.Handle(end_request_, &front.responses);
          if (!status.ok()) {
            FinishLocked(ToGrpc(status));
            return;
          }
        } catch (const std::exception& e) {
          FinishLocked(grpc::Status(grpc::StatusCode::INTERNAL, e.what()));
          return;
        }
      }
      if (written_ < front.responses.size()) {
        writing_ = true;
        StartWrite(&front.responses[written_]);
        return;
      }
      const bool was_summary = front.summary;
      pending_.pop_front();
      written_ = 0;
      if (was_summary) {
        FinishLocked(grpc::Status::OK);
        return;
      }
      if (static_cast<int>(pending_.size()) < max_in_flight_) ReadLocked();
    }
  }

  void FinishLocked(grpc::Status status) {
    if (finishing_) return;
    finishing_ = true;
    stopped_ = true;  // nothing more will be written: batches still running stop early
    finish_status_ = std::move(status);
    if (!writing_) SendFinishLocked();
  }

  void SendFinishLocked() {
    finish_sent_ = true;
    Finish(finish_status_);
  }

  ScanSession session_;
  boost::asio::thread_pool* pool_;
  const int max_in_flight_;
  std::atomic<int>* active_;
  std::mutex mu_;
  v1::EvaluateRequest request_;
  v1::EvaluateRequest end_request_ = [] {
    v1::EvaluateRequest end;
    end.mutable_scan_end();
    return end;
  }();
  std::deque<std::shared_ptr<Pending>> pending_;
  std::size_t written_ = 0;  // responses of pending_.front() written
  int running_ = 0;          // batches on the pool
  bool reading_ = false;
  bool writing_ = false;
  bool end_requested_ = false;
  std::atomic<bool> stopped_{false};
  bool finishing_ = false;
  bool finish_sent_ = false;
  grpc::Status finish_status_;
  bool done_ = false;
};

std::size_t PoolSize(int requested) {
  if (requested > 0) return static_cast<std::size_t>(requested);
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 2;
}

}  // namespace

PolicyPluginService::PolicyPluginService(ServiceLimits limits)
    : limits_(limits), pool_(PoolSize(limits.evaluation_threads)) {}

PolicyPluginService::~PolicyPluginService() { pool_.join(); }

void PolicyPluginService::SetEvaluator(std::shared_ptr<const engine::Evaluator> evaluator,
                                       std::string rules_version) {
  std::lock_guard<std::mutex> lock(mu_);
  evaluator_ = std::move(evaluator);
  rules_version_ = evaluator_ != nullptr ? std::move(rules_version) : "";
  reload_error_.clear();
  loaded_at_ = evaluator_ != nullptr ? NowRfc3339() : "";
}

void PolicyPluginService::SetReloadError(std::string error) {
  std::lock_guard<std::mutex> lock(mu_);
  reload_error_ = std::move(error);
}

std::shared_ptr<const engine::Evaluator> PolicyPluginService::evaluator() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evaluator_;
}

grpc::ServerUnaryReactor* PolicyPluginService::GetPluginInfo(
    grpc::CallbackServerContext* context, const v1::GetPluginInfoRequest* /*request*/,
    v1::GetPluginInfoResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  try {
    response->set_name(kPluginName);
    response->set_version(kPluginVersion);
    response->set_protocol_version(client::kProtocolVersion);
    response->add_supported_protocol_versions(client::kProtocolVersion);
    for (const char* capability : kCapabilities) response->add_capabilities(capability);
    for (const char* format : kInputFormats) response->add_input_formats(format);
    v1::Limits* limits = response->mutable_limits();
    limits->set_max_message_bytes(limits_.max_message_bytes);
    limits->set_max_response_bytes(limits_.max_message_bytes);
    limits->set_max_batch_size(limits_.max_batch_size);
    std::shared_ptr<const engine::Evaluator> current;
    {
      std::lock_guard<std::mutex> lock(mu_);
      current = evaluator_;
      response->set_last_reload_error(client::ValidUtf8(reload_error_));
      response->set_rules_loaded_at(loaded_at_);
    }
    if (current != nullptr) {
      std::set<std::string> types;
      for (const auto& rule : current->rule_set().rules()) {
        v1::RuleInfo* info = response->add_rules();
        client::ToProto(rule, info);
        AddParams(rule, info);
        types.insert(rule.resource_types.begin(), rule.resource_types.end());
      }
      for (const auto& type : types) response->add_resource_types(client::ValidUtf8(type));
    }
    reactor->Finish(grpc::Status::OK);
  } catch (const std::exception& e) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, e.what()));
  }
  return reactor;
}

grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse>* PolicyPluginService::Evaluate(
    grpc::CallbackServerContext* context) {
  std::shared_ptr<const engine::Evaluator> current;
  std::string rules_version;
  {
    // Together: the version names exactly the rule set this call is evaluated with.
    std::lock_guard<std::mutex> lock(mu_);
    current = evaluator_;
    rules_version = rules_version_;
  }
  return new EvaluateReactor(context, std::move(current), limits_.max_batch_size, &pool_,
                             static_cast<int>(PoolSize(limits_.evaluation_threads)),
                             &active_streams_, draining_.load(), limits_.replica_id,
                             rules_version);
}

}  // namespace kmsguard::plugin
