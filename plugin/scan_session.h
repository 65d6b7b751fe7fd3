// The state of one Evaluate call, without any gRPC machinery: it turns requests into responses
// and checks that the host follows the protocol. The reactor in plugin_service.cc only moves
// messages between this and the stream.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kmsguard/plugin/v1/plugin.pb.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/scan_joins.h"
#include "sdk/model/scan_summary.h"

namespace kmsguard::plugin {

class ScanSession {
 public:
  // `evaluator` must not be null. `max_batch_size` bounds ResourceBatch.resources. `cancelled`,
  // when given, is polled between resources: a batch stops early (Cancelled) once it says so,
  // so a deadline, a host that went away or a shutdown never waits for a whole batch.
  ScanSession(std::shared_ptr<const engine::Evaluator> evaluator, int max_batch_size,
              std::function<bool()> cancelled = {});

  // Handles one request and appends its responses to `out`. Problems with single resources become
  // ResourceError responses. A non-OK status is a protocol violation that must end the call:
  // InvalidArgument (a request out of order, an empty request, an unknown rule id),
  // ResourceExhausted (a batch over the limit) or Cancelled. Never throws.
  absl::Status Handle(const v1::EvaluateRequest& request, std::vector<v1::EvaluateResponse>* out);

  // True once ScanEnd has been handled; the call is complete when its responses are written.
  bool ended() const { return state_ == State::kEnded; }
  bool started() const { return state_ != State::kAwaitingStart; }

  // The parts of Handle for a ResourceBatch, for a reactor that evaluates several batches of one
  // call at once (plugin_service.cc): Accept checks the request against the protocol (in request
  // order), Evaluate turns the batch into its responses (on any thread, concurrently with other
  // batches), and Merge adds a batch's counts to the scan's summary (in any order).
  struct BatchWork {
    std::int64_t number = 0;  // 1-based, in request order (named in messages)
    v1::ResourceBatch batch;
  };
  struct BatchResult {
    std::vector<v1::EvaluateResponse> responses;
    model::ScanSummary summary;
    absl::Status status;  // Cancelled when the call was cancelled part way
  };
  // `batch` is moved from on success.
  absl::StatusOr<BatchWork> Accept(v1::ResourceBatch* batch);
  BatchResult Evaluate(const BatchWork& work) const;
  void Merge(const model::ScanSummary& batch_summary);

 private:
  enum class State { kAwaitingStart, kScanning, kEnded };
  class FindingBatcher;

  absl::Status Start(const v1::ScanStart& start);
  void EvaluateOne(const v1::Resource& resource, std::int64_t batch, int index,
                   FindingBatcher* findings, BatchResult* out) const;
  static void AddResourceError(const v1::Resource& resource, std::string message,
                               const char* code, BatchResult* out);
  void End(std::vector<v1::EvaluateResponse>* out);
  // Evaluates one parsed resource (with the scan's joined inventories) and adds its findings and
  // counts.
  void Judge(const v1::Resource& resource, const model::Resource& normalized,
             const engine::ScanJoins& joins, FindingBatcher* findings, BatchResult* out) const;
  // The scan's Google Cloud and Azure resources (model::JoinedAtScanEnd), held until ScanEnd: a
  // grant depends on several of them (policies or assignments, hierarchy, custom roles, the
  // vault's model), so they are joined once (gcp::BuildInventory, azure::BuildInventory) and
  // evaluated then. Batches add to it concurrently.
  // Two lists, index for index: the joins read the resources as one list, with no copy.
  // Batches run concurrently, so they are added in whatever order the pool finishes them;
  // `read_order` (batch number, index in the batch) puts them back in the order the host sent
  // them before the joins read them: which asset a hierarchy conflict is reported at, and the
  // order of the findings, must not depend on thread timing.
  struct Deferred {
    std::vector<v1::Resource> messages;
    std::vector<model::Resource> resources;
    std::vector<std::pair<std::int64_t, int>> read_order;
  };
  static void InReadOrder(Deferred* deferred);
  void EvaluateDeferred(std::vector<v1::EvaluateResponse>* out);

  std::shared_ptr<const engine::Evaluator> evaluator_;
  const int max_batch_size_;
  std::function<bool()> cancelled_;
  State state_ = State::kAwaitingStart;
  std::string scan_id_;
  std::int64_t batches_ = 0;
  bool omit_pass_ = false;  // ScanStart.omit_pass_findings: PASS findings counted, not sent
  model::ScanSummary summary_;
  mutable std::mutex deferred_mutex_;
  mutable Deferred deferred_;
};

}  // namespace kmsguard::plugin
