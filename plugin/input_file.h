// One input of `kmsguard scan`, read exactly once: a regular file, a pipe, a FIFO or standard
// input ("-"), gzip or not.
// Its first bytes are held to judge what it is (the format, or that it is binary), then the same
// bytes and the rest are handed on either as a stream (authorization-details exports, which can be
// gigabytes) or whole (the other formats, up to a size limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sdk/adapters/gzip.h"

namespace kmsguard::plugin {

class InputFile {
 public:
  // How many (decompressed) bytes are held to judge the content.
  static constexpr std::size_t kPrefixBytes = 64 * 1024;

  // The path that names standard input (`kmsguard scan -`), read like a pipe and never closed.
  static constexpr std::string_view kStandardInput = "-";

  // Opens `path` (standard input for kStandardInput) and reads its first bytes, through gzip when
  // it starts with gzip's magic bytes. Never fails: a file that cannot be opened or read has a
  // non-OK status().
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // The first bytes of the content (decompressed), at most kPrefixBytes.
  std::string_view prefix() const { return prefix_; }
  bool compressed() const { return gunzip_ != nullptr; }

  // The content from the start (the prefix first): up to `size` bytes into `buffer`; 0 at the end
  // or after an error. A ByteSource for the streaming readers.
  std::size_t Read(char* buffer, std::size_t size);

  // The whole content (the prefix first). ResourceExhausted when it is longer than `max_bytes`
  // (nothing more is read then); a read or gzip error is in status() and the text read so far is
  // returned (a gzip file missing only its trailer still yields its content).
  absl::StatusOr<std::string> ReadAll(std::size_t max_bytes);

  // For progress: the file's bytes read so far (compressed ones for gzip), and its size when it
  // is a regular file (0 for a pipe, a FIFO or a terminal, whose size is not known ahead).
  std::uint64_t raw_bytes_read() const { return raw_bytes_read_; }
  std::uint64_t raw_size() const { return raw_size_; }

  // OK, or why reading stopped: NotFound/PermissionDenied-like errors from opening (as
  // "cannot read the file: ..."), DataLoss for a read error, InvalidArgument for corrupt or
  // truncated gzip data.
  absl::Status status() const;

 private:
  std::size_t ReadRaw(char* buffer, std::size_t size);  // the file's bytes
  std::size_t ReadContent(char* buffer, std::size_t size);  // decompressed when gzip

  std::FILE* file_ = nullptr;
  bool owns_file_ = true;  // false for standard input
  std::unique_ptr<adapters::GunzipStream> gunzip_;
  std::string prefix_;
  std::size_t prefix_read_ = 0;  // how much of prefix_ Read has handed out
  std::uint64_t raw_bytes_read_ = 0;
  std::uint64_t raw_size_ = 0;
  absl::Status status_;
};

}  // namespace kmsguard::plugin
