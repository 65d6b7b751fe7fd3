// The in-process scan the benchmarks and scan_file measure: the streaming authorization-details
// reader feeding the evaluator, on the calling thread or with evaluation spread over a pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"

namespace kmsguard::bench {

struct ScanCounts {
  std::uint64_t resources = 0;
  std::uint64_t findings = 0;
  std::uint64_t fails = 0;
  std::uint64_t diagnostics = 0;
};

// Streams `source` through the adapter and `evaluator`. pool == nullptr: everything on the calling
// thread. Otherwise the calling thread parses and `pool` (of `threads` threads) evaluates batches
// of resources; at most a few batches wait at a time, so memory stays bounded. The engine's memos
// are per thread, so a pool kept across scans is warm as the calling thread is.
inline ScanCounts ScanStream(const adapters::ByteSource& source, const engine::Evaluator& evaluator,
                             boost::asio::thread_pool* pool, int threads) {
  ScanCounts counts;
  std::atomic<std::uint64_t> findings{0}, fails{0};
  const auto evaluate = [&](const model::Resource& resource) {
    std::uint64_t f = 0, n = 0;
    for (const model::Finding& finding : evaluator.Evaluate(resource)) {
      ++n;
      f += finding.status == model::Status::kFail;
    }
    findings += n;
    fails += f;
  };
  if (pool == nullptr || threads <= 0) {
    counts.diagnostics = adapters::StreamAuthorizationDetails(source, "bench.json", [&](model::Resource r) {
      ++counts.resources;
      evaluate(r);
    }).size();
  } else {
    constexpr std::size_t kBatch = 64;
    std::counting_semaphore<> in_flight(4 * threads);
    auto batch = std::make_shared<std::vector<model::Resource>>();
    const auto submit = [&] {
      in_flight.acquire();
      boost::asio::post(*pool, [&, work = std::move(batch)] {
        for (const model::Resource& r : *work) evaluate(r);
        in_flight.release();
      });
      batch = std::make_shared<std::vector<model::Resource>>();
    };
    counts.diagnostics = adapters::StreamAuthorizationDetails(source, "bench.json", [&](model::Resource r) {
      ++counts.resources;
      batch->push_back(std::move(r));
      if (batch->size() >= kBatch) submit();
    }).size();
    if (!batch->empty()) submit();
    for (int i = 0; i < 4 * threads; ++i) in_flight.acquire();  // every batch evaluated
  }
  counts.findings = findings;
  counts.fails = fails;
  return counts;
}

}  // namespace kmsguard::bench
