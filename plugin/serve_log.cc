#include "plugin/serve_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <nlohmann/json.hpp>

#include "sdk/core/json_text.h"

namespace kmsguard::plugin {

namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// hclog's timestamp layout, "2006-01-02T15:04:05.000000Z07:00" in Go's notation, always UTC.
std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          now.time_since_epoch())
                          .count() %
                      1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof(text) - n, ".%06lldZ", static_cast<long long>(micros));
  return text;
}

}  // namespace

void ServeLog::Write(LogLevel level, std::string_view message) {
  if (quiet_ && (level == LogLevel::kDebug || level == LogLevel::kInfo)) return;
  try {
    std::string line;
    if (json_) {
      const nlohmann::json entry = {{"@level", LevelName(level)},
                                    {"@message", std::string(message)},
                                    {"@module", "kmsguard"},
                                    {"@timestamp", Timestamp()}};
      line = core::DumpJson(entry);
    } else {
      line = "kmsguard serve: ";
      line.append(message);
      while (!line.empty() && line.back() == '\n') line.pop_back();
    }
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(mu_);
    out_ << line << std::flush;
  } catch (const std::exception&) {
    // A log line is never worth crashing the plugin for.
  }
}

bool LogLimiter::Admit(const std::string& source, Clock::time_point now, std::int64_t* left_out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = sources_.try_emplace(source);
  Window& w = it->second;
  if (inserted || now - w.start >= window_) {
    w.start = now;
    w.written = 0;
  }
  if (w.written >= per_window_) {
    ++w.left_out;
    return false;
  }
  ++w.written;
  *left_out = w.left_out;
  w.left_out = 0;
  return true;
}

}  // namespace kmsguard::plugin
