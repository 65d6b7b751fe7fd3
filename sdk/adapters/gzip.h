// Gzip decompression for compressed snapshots (AWS Config delivers .json.gz to S3; large
// authorization-details exports are often kept gzipped): whole in memory, or as a stream.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kmsguard::adapters {

// True when `data` starts with the gzip magic bytes (1f 8b).
bool IsGzip(std::string_view data);

// Decompresses gzip data (every member of a multi-member file). Errors: InvalidArgument for
// corrupt or truncated data, ResourceExhausted when the output would exceed `max_output_bytes`
// (a guard against decompression bombs).
absl::StatusOr<std::string> Gunzip(std::string_view data,
                                   std::size_t max_output_bytes = std::size_t{4} << 30);

// Decompresses gzip data as it is read, so that a compressed export can be streamed like a plain
// one (StreamAuthorizationDetails takes Read as its ByteSource). Reads every member of a
// multi-member file and ignores other trailing bytes, as gzip(1) does.
class GunzipStream {
 public:
  // `compressed` supplies the gzip bytes: copies up to `size` bytes into `buffer`, returns how
  // many, 0 at the end.
  using Source = std::function<std::size_t(char* buffer, std::size_t size)>;
  explicit GunzipStream(Source compressed);
  ~GunzipStream();
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;

  // Copies up to `size` decompressed bytes into `buffer`; 0 at the end or after an error.
  std::size_t Read(char* buffer, std::size_t size);
  // OK, or InvalidArgument once the data turned out corrupt or truncated (then Read returns 0).
  const absl::Status& status() const { return status_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  absl::Status status_;
};

}  // namespace kmsguard::adapters
