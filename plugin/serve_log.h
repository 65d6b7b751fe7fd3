// The log of `kmsguard serve`, always on stderr (stdout belongs to the go-plugin handshake).
// Text lines ("kmsguard serve: ...") for people, or JSON lines in the shape go-plugin hosts parse
// (hclog's: "@level", "@message", "@module", "@timestamp"), one object per line.
#pragma once

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

}  // namespace kmsguard::plugin
