// The reference host runs the plugin as a child process: `kmsguard serve` on a Unix socket in a
// private directory, so no other user can reach it or take its place.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kmsguard::plugin {

class PluginProcess {
 public:
  // Creates a 0700 directory under $TMPDIR (or /tmp), then runs
  //   `executable serve --quiet --exit-with-parent --listen unix:<dir>/plugin.sock --ready-fd N
  //    [--rules DIR]...`
  // with stdin from /dev/null and stdout sent to stderr, so the host's stdout stays its own. The
  // child gets SIGTERM if the host dies. Errors: the directory or the fork failed.
  static absl::StatusOr<std::unique_ptr<PluginProcess>> Launch(
      const std::string& executable, const std::vector<std::string>& rule_dirs);

  // Stops the child if it still runs and removes the directory.
  ~PluginProcess();
  PluginProcess(const PluginProcess&) = delete;
  PluginProcess& operator=(const PluginProcess&) = delete;

  // The gRPC address the child listens on.
  const std::string& address() const { return address_; }

  // Without blocking: how the child ended ("exited with status 2", "killed by signal 9"), or
  // nothing while it still runs.
  std::optional<std::string> Exited();

  // Waits until the child says it serves (it writes to a pipe once its rules are loaded and the
  // server answers: `serve --ready-fd`), without polling. Unavailable when the child ended or
  // closed the pipe first (its messages are on stderr); DeadlineExceeded after `timeout`.
  absl::Status WaitUntilReady(std::chrono::milliseconds timeout);

  // SIGTERM, then SIGKILL if the child has not ended after `grace`; reaps it. OK when the child
  // exited with status 0, else Internal saying how it ended. Later calls return the same answer.
  absl::Status Stop(std::chrono::milliseconds grace);

 private:
  PluginProcess() = default;
  void Reaped(int wait_status);
  // Waits at most `timeout` for the child to end and reaps it; how it ended, or nothing.
  std::optional<std::string> WaitExited(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int ready_fd_ = -1;  // the read end of the child's readiness pipe
  std::string dir_;
  std::string address_;
  std::optional<std::string> ended_;  // set once reaped
  bool clean_exit_ = false;
  // SIGINT, SIGTERM, SIGHUP and SIGPIPE stop the child and remove the directory before the host
  // dies of them (one PluginProcess at a time per process).
  bool handlers_installed_ = false;
};

}  // namespace kmsguard::plugin
