// Fuzz target: one `Resource` message as a host sends it over gRPC (bytes parsed with protobuf's
// ParseFromArray), through the plugin's own call handling (plugin::ScanSession: ScanStart, a
// ResourceBatch holding it, ScanEnd): the proto -> model conversion, its checks (type, id,
// document_json with repeated keys, sizes) and the built-in rules.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "kmsguard/plugin/v1/plugin.pb.h"
#include "plugin/scan_session.h"
#include "tests/fuzz/fuzz_support.h"

namespace v1 = kmsguard::plugin::v1;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // protobuf logs every string field that is not UTF-8 (the message is then refused): silence it,
  // or the run's output is little else.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  v1::Resource resource;
  if (!resource.ParseFromArray(data, static_cast<int>(size))) return 0;
  kmsguard::plugin::ScanSession session(kmsguard::fuzz::BuiltinEvaluator(), 100);
  std::vector<v1::EvaluateResponse> out;
  v1::EvaluateRequest start;
  start.mutable_scan_start()->set_scan_id("fuzz");
  if (!session.Handle(start, &out).ok()) __builtin_trap();  // a valid start is always accepted
  v1::EvaluateRequest batch;
  *batch.mutable_resource_batch()->add_resources() = std::move(resource);
  (void)session.Handle(batch, &out);
  v1::EvaluateRequest end;
  end.mutable_scan_end();
  (void)session.Handle(end, &out);
  return 0;
}
