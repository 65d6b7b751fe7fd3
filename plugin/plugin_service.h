// The PolicyPlugin gRPC service (callback API). It translates between protocol messages and engine
// types and calls the engine; it holds no policy logic of its own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/engine/evaluator.h"

namespace kmsguard::plugin {

struct ServiceLimits {
  int max_message_bytes = 0;
  int max_batch_size = 0;
};

class PolicyPluginService final : public v1::PolicyPlugin::CallbackService {
 public:
  explicit PolicyPluginService(ServiceLimits limits);

  // Replaces the evaluator used by calls that start from now on; calls in flight keep theirs.
  // Null (or an evaluator with no rules) makes new Evaluate calls fail with FAILED_PRECONDITION.
  // Thread-safe.
  void SetEvaluator(std::shared_ptr<const engine::Evaluator> evaluator);
  std::shared_ptr<const engine::Evaluator> evaluator() const;

  grpc::ServerUnaryReactor* GetPluginInfo(grpc::CallbackServerContext* context,
                                          const v1::GetPluginInfoRequest* request,
                                          v1::GetPluginInfoResponse* response) override;

  grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse>* Evaluate(
      grpc::CallbackServerContext* context) override;

 private:
  const ServiceLimits limits_;
  mutable std::mutex mu_;
  std::shared_ptr<const engine::Evaluator> evaluator_;  // guarded by mu_
};

}  // namespace kmsguard::plugin
