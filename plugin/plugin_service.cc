#include "plugin/plugin_service.h"

#include <exception>
#include <set>
#include <utility>
#include <vector>

#include "plugin/scan_session.h"
#include "plugin/version.h"
#include "sdk/client/convert.h"
#include "sdk/client/protocol.h"

namespace kmsguard::plugin {

namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

bool HasRules(const engine::Evaluator* evaluator) {
  return evaluator != nullptr && !evaluator->rule_set().rules().empty();
}

// One Evaluate call. Strictly one operation at a time: read a request, write its responses one by
// one, then read the next. That gives backpressure for free (a host that stops reading stops
// being read) and means the callbacks never run concurrently, so the state needs no lock.
// Evaluation runs inline on gRPC's callback thread; batches are bounded by max_batch_size.
class EvaluateReactor final
    : public grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse> {
 public:
  EvaluateReactor(std::shared_ptr<const engine::Evaluator> evaluator, int max_batch_size)
      : session_(evaluator, max_batch_size) {
    if (!HasRules(evaluator.get())) {
      Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "the plugin has no rules loaded; see its health status"));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The host half-closed (or the call was cancelled) before ScanEnd.
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          session_.started() ? "request stream closed before ScanEnd"
                                             : "request stream closed before ScanStart"));
      return;
    }
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

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "response stream broken"));
      return;
    }
    ++next_;
    WriteNextOrContinue();
  }

  void OnDone() override { delete this; }

 private:
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
  v1::EvaluateRequest request_;
  std::vector<v1::EvaluateResponse> responses_;
  std::size_t next_ = 0;
};

}  // namespace

PolicyPluginService::PolicyPluginService(ServiceLimits limits) : limits_(limits) {}

void PolicyPluginService::SetEvaluator(std::shared_ptr<const engine::Evaluator> evaluator) {
  std::lock_guard<std::mutex> lock(mu_);
  evaluator_ = std::move(evaluator);
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
    response->mutable_limits()->set_max_message_bytes(limits_.max_message_bytes);
    response->mutable_limits()->set_max_batch_size(limits_.max_batch_size);
    const std::shared_ptr<const engine::Evaluator> current = evaluator();
    if (current != nullptr) {
      std::set<std::string> types;
      for (const auto& rule : current->rule_set().rules()) {
        client::ToProto(rule, response->add_rules());
        types.insert(rule.resource_types.begin(), rule.resource_types.end());
      }
      for (const auto& type : types) response->add_resource_types(type);
    }
    reactor->Finish(grpc::Status::OK);
  } catch (const std::exception& e) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, e.what()));
  }
  return reactor;
}

grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse>* PolicyPluginService::Evaluate(
    grpc::CallbackServerContext* /*context*/) {
  return new EvaluateReactor(evaluator(), limits_.max_batch_size);
}

}  // namespace kmsguard::plugin
