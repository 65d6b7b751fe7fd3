// Progress of a long `kmsguard scan` on stderr, for a person watching a terminal (issue 18): the
// bytes of the streamed exports read (of their total, when every one is a regular file), the
// resources sent, the findings received (and how many FAIL), the rate and, with a total, the time
// left. One line, redrawn in place (carriage return, erase to the end of the line) at most twice
// a second, first after a second (a short scan prints nothing), and erased when the scan ends so
// that the summary and any problem stand alone.
//
// `kmsguard scan` turns it on only when stderr is a terminal (not "dumb") and --quiet is not
// given: a log or a CI job never sees a redrawn line.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

namespace kmsguard::plugin {

// The counts a line is made of.
struct ProgressCounts {
  std::uint64_t bytes = 0;        // streamed input read so far (as stored: compressed for gzip)
  std::uint64_t total_bytes = 0;  // 0: not known (a pipe, standard input)
  std::uint64_t resources = 0;    // sent to the plugin
  std::uint64_t findings = 0;     // received
  std::uint64_t fail = 0;         // of them FAIL
};

// The line for `counts` after `elapsed`, without the redraw control bytes, e.g.
// "kmsguard scan: 51.2 of 102.4 MiB (50%), 33,161 resources, 66,322 findings (27,915 FAIL),
// 25.6 MiB/s, about 2 s left". Rate and time left only once a measurable time has passed.
std::string ProgressLine(const ProgressCounts& counts, std::chrono::duration<double> elapsed);

class ScanProgress {
 public:
  struct Options {
    bool enabled = false;           // false: count, never draw (callers need no second path)
    std::uint64_t total_bytes = 0;  // of the streamed inputs; 0 when not known
    std::size_t width = 0;          // the terminal's columns: a longer line is cut (it would wrap,
                                    // and \r returns only to the start of its last row); 0: no cut
    std::chrono::milliseconds first{1000};    // nothing before this
    std::chrono::milliseconds interval{500};  // between redraws
  };

  // Draws on `out` from a thread of its own until Stop() or destruction.
  ScanProgress(std::ostream& out, Options options);
  ~ScanProgress();
  ScanProgress(const ScanProgress&) = delete;
  ScanProgress& operator=(const ScanProgress&) = delete;

  // Safe from any thread.
  void AddBytes(std::uint64_t n) { bytes_.fetch_add(n, std::memory_order_relaxed); }
  void AddResource() { resources_.fetch_add(1, std::memory_order_relaxed); }
  void AddFinding(bool fail) {
    findings_.fetch_add(1, std::memory_order_relaxed);
    if (fail) fail_.fetch_add(1, std::memory_order_relaxed);
  }

  // Writes `text` to `out` with the line erased first, so that a problem reported mid-scan stands
  // on its own line; the next redraw comes after it. Safe from any thread.
  void Write(std::string_view text);

  // Stops drawing and erases the line if one is shown; later calls do nothing. Call it before
  // writing anything else to `out` other than through Write().
  void Stop();

  // How many times a line was drawn (for tests).
  int draws();

 private:
  void Run();

  std::ostream& out_;
  const Options options_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> resources_{0};
  std::atomic<std::uint64_t> findings_{0};
  std::atomic<std::uint64_t> fail_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;    // under mutex_
  bool line_shown_ = false;  // under mutex_
  int draws_ = 0;            // under mutex_
  std::thread thread_;       // last: started once everything above exists
};

}  // namespace kmsguard::plugin
