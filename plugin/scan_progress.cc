#include "plugin/scan_progress.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kmsguard::plugin {

namespace {

// 1234567 -> "1,234,567": counts in the hundreds of thousands are read at a glance.
std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string MiB(std::uint64_t bytes) {
  return absl::StrFormat("%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

std::string ProgressLine(const ProgressCounts& counts, std::chrono::duration<double> elapsed) {
  std::string line = "kmsguard scan: ";
  const bool known_total = counts.total_bytes > 0;
  if (known_total) {
    const auto percent =
        static_cast<int>(std::min<double>(100.0, 100.0 * static_cast<double>(counts.bytes) /
                                                     static_cast<double>(counts.total_bytes)));
    absl::StrAppend(&line, MiB(counts.bytes), " of ", MiB(counts.total_bytes), " MiB (", percent,
                    "%)");
  } else {
    absl::StrAppend(&line, MiB(counts.bytes), " MiB read");
  }
  absl::StrAppend(&line, ", ", Grouped(counts.resources), " resources, ", Grouped(counts.findings),
                  " findings (", Grouped(counts.fail), " FAIL)");
  const double seconds = elapsed.count();
  if (seconds >= 0.5 && counts.bytes > 0) {
    const double rate = static_cast<double>(counts.bytes) / seconds;
    absl::StrAppend(&line, ", ", MiB(static_cast<std::uint64_t>(rate)), " MiB/s");
    if (known_total && counts.bytes < counts.total_bytes) {
      const double left = static_cast<double>(counts.total_bytes - counts.bytes) / rate;
      absl::StrAppend(&line, ", about ",
                      left < 90 ? absl::StrCat(static_cast<int>(std::ceil(left)), " s")
                                : absl::StrCat(static_cast<int>(std::ceil(left / 60)), " min"),
                      " left");
    }
  }
  return line;
}

ScanProgress::ScanProgress(std::ostream& out, Options options) : out_(out), options_(options) {
  if (options_.enabled) thread_ = std::thread([this] { Run(); });
}

ScanProgress::~ScanProgress() { Stop(); }

int ScanProgress::draws() {
  std::lock_guard lock(mutex_);
  return draws_;
}

void ScanProgress::Write(std::string_view text) {
  std::lock_guard lock(mutex_);
  if (line_shown_) out_ << "\r\x1b[K";
  line_shown_ = false;
  out_ << text << std::flush;
}

void ScanProgress::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (line_shown_) out_ << "\r\x1b[K" << std::flush;
  line_shown_ = false;
}

void ScanProgress::Run() {
  std::unique_lock lock(mutex_);
  auto next = start_ + options_.first;
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    ProgressCounts counts;
    counts.bytes = bytes_.load(std::memory_order_relaxed);
    counts.total_bytes = options_.total_bytes;
    counts.resources = resources_.load(std::memory_order_relaxed);
    counts.findings = findings_.load(std::memory_order_relaxed);
    counts.fail = fail_.load(std::memory_order_relaxed);
    std::string line = ProgressLine(counts, std::chrono::steady_clock::now() - start_);
    if (options_.width > 1 && line.size() >= options_.width) line.resize(options_.width - 1);
    // \r and "erase to the end of the line" (ECMA-48 EL): the line is redrawn in place, and a
    // shorter line leaves nothing of the longer one before it.
    out_ << '\r' << line << "\x1b[K" << std::flush;
    line_shown_ = true;
    ++draws_;
    next += options_.interval;
  }
}

}  // namespace kmsguard::plugin
