// The PolicyPlugin gRPC service (callback API). It translates between protocol messages and engine
// types and calls the engine; it holds no policy logic of its own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "sdk/engine/evaluator.h"

namespace kmsguard::plugin {

struct ServiceLimits {
  // Sent in each Evaluate call's initial metadata (client::kReplicaIdHeader); empty: not sent.
  std::string replica_id;
  int max_message_bytes = 0;
  int max_batch_size = 0;
  // Threads evaluating batches; 0: one per hardware thread.
  int evaluation_threads = 0;
};

class PolicyPluginService final : public v1::PolicyPlugin::CallbackService {
 public:
  explicit PolicyPluginService(ServiceLimits limits);
  // Waits for evaluations in flight (the server must have shut down first).
  ~PolicyPluginService() override;

  // Replaces the evaluator used by calls that start from now on; calls in flight keep theirs (one
  // immutable rule set per call, swapped atomically). Null (or an evaluator with no rules) makes
  // new Evaluate calls fail with FAILED_PRECONDITION. Clears the reload error. Thread-safe.
  // `rules_version` (LoadedRules::version) goes with it to each call's initial metadata.
  void SetEvaluator(std::shared_ptr<const engine::Evaluator> evaluator,
                    std::string rules_version = "");
  std::shared_ptr<const engine::Evaluator> evaluator() const;

  // Reported as GetPluginInfoResponse.last_reload_error until the next SetEvaluator. Thread-safe.
  void SetReloadError(std::string error);

  // From now on new Evaluate calls fail with UNAVAILABLE (the plugin is stopping); calls in
  // flight go on. Thread-safe.
  void StartDraining() { draining_ = true; }
  // Evaluate calls not yet done.
  int active_streams() const { return active_streams_.load(); }

  grpc::ServerUnaryReactor* GetPluginInfo(grpc::CallbackServerContext* context,
                                          const v1::GetPluginInfoRequest* request,
                                          v1::GetPluginInfoResponse* response) override;

  grpc::ServerBidiReactor<v1::EvaluateRequest, v1::EvaluateResponse>* Evaluate(
      grpc::CallbackServerContext* context) override;

 private:
  const ServiceLimits limits_;
  std::atomic<bool> draining_{false};
  std::atomic<int> active_streams_{0};
  // Evaluation runs here rather than on gRPC's callback threads, which must stay free to move
  // messages for every other stream.
  boost::asio::thread_pool pool_;
  mutable std::mutex mu_;
  std::shared_ptr<const engine::Evaluator> evaluator_;  // guarded by mu_
  std::string reload_error_;                            // guarded by mu_
  std::string loaded_at_;                               // guarded by mu_
  std::string rules_version_;                           // guarded by mu_
};

}  // namespace kmsguard::plugin
