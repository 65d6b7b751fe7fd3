#include "sdk/adapters/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kmsguard::adapters {

bool IsGzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

struct GunzipStream::State {
  Source compressed;
  z_stream stream{};
  bool initialized = false;
  bool source_done = false;  // `compressed` returned 0
  bool finished = false;     // the last member ended, or an error
  bool member_ended = false; // a member ended; more input decides whether another follows
  char input[1 << 16];
};

GunzipStream::GunzipStream(Source compressed) : state_(std::make_unique<State>()) {
  state_->compressed = std::move(compressed);
  // 16 + MAX_WBITS: gzip framing only (no raw deflate, no zlib header).
  if (inflateInit2(&state_->stream, 16 + MAX_WBITS) != Z_OK) {
    status_ = absl::InternalError("zlib could not be initialized");
    state_->finished = true;
    return;
  }
  state_->initialized = true;
}

GunzipStream::~GunzipStream() {
  if (state_->initialized) inflateEnd(&state_->stream);
}

std::size_t GunzipStream::Read(char* buffer, std::size_t size) {
  State& s = *state_;
  z_stream& z = s.stream;
  // zlib counts in uInt.
  size = std::min<std::size_t>(size, std::size_t{1} << 30);
  while (!s.finished && size > 0) {
    if (z.avail_in == 0 && !s.source_done) {
      const std::size_t n = s.compressed(s.input, sizeof(s.input));
      if (n == 0) {
        s.source_done = true;
      } else {
        z.next_in = reinterpret_cast<Bytef*>(s.input);
        z.avail_in = static_cast<uInt>(n);
      }
    }
    if (s.member_ended) {
      // Another member follows only if the next two bytes start one: get both.
      if (z.avail_in == 1 && !s.source_done) {
        s.input[0] = static_cast<char>(*z.next_in);
        const std::size_t n = s.compressed(s.input + 1, sizeof(s.input) - 1);
        if (n == 0) s.source_done = true;
        z.next_in = reinterpret_cast<Bytef*>(s.input);
        z.avail_in = static_cast<uInt>(1 + n);
      }
      if (z.avail_in == 0) {
        s.finished = true;  // the input ended right after a member: done
        break;
      }
      if (!IsGzip(std::string_view(reinterpret_cast<const char*>(z.next_in), z.avail_in))) {
        s.finished = true;  // trailing bytes that are not a member: ignored
        break;
      }
      inflateReset(&z);
      s.member_ended = false;
    }
    if (z.avail_in == 0 && s.source_done) {
      status_ = absl::InvalidArgumentError("the gzip data is truncated");
      s.finished = true;
      break;
    }
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = static_cast<uInt>(size);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = size - z.avail_out;
    if (rc == Z_STREAM_END) {
      s.member_ended = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("the gzip data is corrupt: ", z.msg ? z.msg : "inflate error"));
      s.finished = true;
      return 0;
    }
    if (produced > 0) return produced;
  }
  return 0;
}

// The whole-text form reads through the stream: one inflate loop for both.
absl::StatusOr<std::string> Gunzip(std::string_view data, std::size_t max_output_bytes) {
  std::size_t offset = 0;
  GunzipStream stream([&](char* buffer, std::size_t size) {
    const std::size_t n = std::min(size, data.size() - offset);
    std::memcpy(buffer, data.data() + offset, n);
    offset += n;
    return n;
  });
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const std::size_t n = stream.Read(buffer, sizeof(buffer));
    if (n == 0) break;
    if (out.size() + n > max_output_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the gzip data decompresses to more than ", max_output_bytes, " bytes"));
    }
    out.append(buffer, n);
  }
  if (!stream.status().ok()) return stream.status();
  return out;
}

}  // namespace kmsguard::adapters
