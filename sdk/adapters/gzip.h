// In-memory gzip decompression for compressed snapshots (AWS Config delivers .json.gz to S3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kmsguard::adapters {

// True when `data` starts with the gzip magic bytes (1f 8b).
bool IsGzip(std::string_view data);

// Decompresses gzip data (every member of a multi-member file). Errors: InvalidArgument for
// corrupt or truncated data, ResourceExhausted when the output would exceed `max_output_bytes`
// (a guard against decompression bombs).
absl::StatusOr<std::string> Gunzip(std::string_view data,
                                   std::size_t max_output_bytes = std::size_t{4} << 30);

}  // namespace kmsguard::adapters
