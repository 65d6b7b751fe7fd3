#include "plugin/plugin_service.h"

#include <boost/asio/post.hpp>
#include <ctime>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "plugin/scan_session.h"
#include "plugin/version.h"
#include "sdk/client/convert.h"
#include "sdk/client/protocol.h"

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

std::string JsonText(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

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

// One Evaluate call. Strictly one operation at a time: read a request, evaluate it on the pool,
// write its responses one by one, then read the next. That gives backpressure for free (a host
// that stops reading stops being read) and means no two steps run concurrently, so the state
// needs no lock. OnDone (and so `delete this`) cannot come while pool work is pending: gRPC calls
// it only after Finish, which only the last step calls.
class EvaluateReactor final
    : public grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse> {
 public:
  EvaluateReactor(grpc::CallbackServerContext* context,
                  std::shared_ptr<const engine::Evaluator> evaluator, int max_batch_size,
                  boost::asio::thread_pool* pool, std::atomic<int>* active, bool draining)
      : session_(evaluator, max_batch_size, [context] { return context->IsCancelled(); }),
        pool_(pool),
        active_(active) {
    ++*active_;
    if (draining) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the plugin is shutting down"));
      return;
    }
    if (!HasRules(evaluator.get())) {
      Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "the plugin has no rules loaded; see its health status"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The host half-closed before ScanEnd, the call was cancelled, or a request was not a
      // valid EvaluateRequest (gRPC does not say which).
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          session_.started()
                              ? "request stream closed before ScanEnd (or a request could not "
                                "be parsed as an EvaluateRequest)"
                              : "request stream closed before ScanStart (or a request could not "
                                "be parsed as an EvaluateRequest)"));
      return;
    }
    boost::asio::post(*pool_, [this] { HandleRequest(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "response stream broken"));
      return;
    }
    ++next_;
    WriteNextOrContinue();
  }

  void OnDone() override {
    --*active_;
    delete this;
  }

 private:
  void HandleRequest() {
    responses_.clear();
    next_ = 0;
    absl::Status status;
    try {
      status = session_.Handle(request_, &responses_);
    } catch (const std::exception& e) {
      status = absl::InternalError(std::string("evaluation failed: ") + e.what());
    } catch (...) {
      status = absl::InternalError("evaluation failed");
    }
    if (!status.ok()) {
      Finish(ToGrpc(status));
      return;
    }
    WriteNextOrContinue();
  }

  void WriteNextOrContinue() {
    if (next_ < responses_.size()) {
      StartWrite(&responses_[next_]);
    } else if (session_.ended()) {
      Finish(grpc::Status::OK);
    } else {
      StartRead(&request_);
    }
  }

  ScanSession session_;
  boost::asio::thread_pool* pool_;
  std::atomic<int>* active_;
  v1::EvaluateRequest request_;
  std::vector<v1::EvaluateResponse> responses_;
  std::size_t next_ = 0;
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

void PolicyPluginService::SetEvaluator(std::shared_ptr<const engine::Evaluator> evaluator) {
  std::lock_guard<std::mutex> lock(mu_);
  evaluator_ = std::move(evaluator);
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
  return new EvaluateReactor(context, evaluator(), limits_.max_batch_size, &pool_,
                             &active_streams_, draining_.load());
}

}  // namespace kmsguard::plugin
