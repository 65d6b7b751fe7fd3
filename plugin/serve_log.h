// The log of `kmsguard serve`, always on stderr (stdout belongs to the go-plugin handshake).
// Text lines ("kmsguard serve: ...") for people, or JSON lines in the shape go-plugin hosts parse
// (hclog's: "@level", "@message", "@module", "@timestamp"), one object per line.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace kmsguard::plugin {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class ServeLog {
 public:
  // `quiet`: only kWarn and kError are written. `json`: JSON lines.
  ServeLog(std::ostream& out, bool json, bool quiet) : out_(out), json_(json), quiet_(quiet) {}

  // Writes one entry (multi-line messages stay one JSON object). Thread-safe; never throws.
  void Write(LogLevel level, std::string_view message);
  void Info(std::string_view message) { Write(LogLevel::kInfo, message); }
  void Warn(std::string_view message) { Write(LogLevel::kWarn, message); }
  void Error(std::string_view message) { Write(LogLevel::kError, message); }

  bool json() const { return json_; }

 private:
  std::mutex mu_;
  std::ostream& out_;
  const bool json_;
  const bool quiet_;
};

// Bounds the lines one source may write: at most `per_window` per window of `window`. gRPC logs
// one line per refused TLS handshake, so a client retrying without a certificate (or a port
// scanner) would otherwise fill the log, and the disk under it, without end. Thread-safe.
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LogLimiter(int per_window, Clock::duration window) : per_window_(per_window), window_(window) {}

  // Whether a line from `source` (gRPC's file:line) at `now` is written. When it is,
  // `*left_out` is how many lines of that source were not written since the last one that was
  // (0 most of the time), for the written line to say so.
  bool Admit(const std::string& source, Clock::time_point now, std::int64_t* left_out);

 private:
  struct Window {
    Clock::time_point start;
    int written = 0;
    std::int64_t left_out = 0;
  };
  std::mutex mu_;
  const int per_window_;
  const Clock::duration window_;
  std::map<std::string, Window> sources_;  // bounded: gRPC's source lines that log errors
};

}  // namespace kmsguard::plugin
