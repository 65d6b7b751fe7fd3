#include "plugin/plugin_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"

namespace kmsguard::plugin {

namespace {

constexpr char kSocketName[] = "plugin.sock";
// sockaddr_un::sun_path holds 108 bytes with the NUL.
constexpr std::size_t kMaxSocketPath = 107;

std::string TempBase() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] == '/') {
    // mkdtemp adds "/kmsguard-scan-XXXXXX", then the socket name follows.
    const std::size_t needed = std::strlen(tmpdir) + 21 + 1 + sizeof(kSocketName);
    if (needed <= kMaxSocketPath) return tmpdir;
  }
  return "/tmp";
}

// Only async-signal-safe calls: the host may have other threads when it forks.
void WriteError(const char* what) {
  const char* reason = std::strerror(errno);
  const char prefix[] = "kmsguard scan: cannot start the plugin: ";
  (void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  (void)!write(STDERR_FILENO, what, std::strlen(what));
  (void)!write(STDERR_FILENO, ": ", 2);
  (void)!write(STDERR_FILENO, reason, std::strlen(reason));
  (void)!write(STDERR_FILENO, "\n", 1);
}

// What a signal that ends the host must clean up: the private directory and the socket in it.
// Fixed buffers, written before the handlers are installed, because a handler may only make
// async-signal-safe calls (unlink, rmdir, kill, raise).
struct SignalCleanup {
  char socket[4096] = {};
  char dir[4096] = {};
  volatile pid_t child = -1;
};
SignalCleanup g_cleanup;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
struct sigaction g_previous[sizeof(kCleanupSignals) / sizeof(kCleanupSignals[0])];

// Ctrl-C, a kill or a closed pipe used to leave an empty kmsguard-scan-XXXXXX directory behind
// every time (the child removes its socket as it stops; nobody removed the directory).
void CleanUpAndDie(int signal_number) {
  if (g_cleanup.child > 0) kill(g_cleanup.child, SIGTERM);
  if (g_cleanup.socket[0] != '\0') unlink(g_cleanup.socket);
  if (g_cleanup.dir[0] != '\0') rmdir(g_cleanup.dir);
  std::signal(signal_number, SIG_DFL);
  raise(signal_number);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PluginProcess>> PluginProcess::Launch(
    const std::string& executable, const std::vector<std::string>& rule_dirs) {
  std::unique_ptr<PluginProcess> process(new PluginProcess());
  std::string dir_template = TempBase() + "/kmsguard-scan-XXXXXX";
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a directory like ", dir_template, ": ", std::strerror(errno)));
  }
  process->dir_ = dir_template;
  process->address_ = absl::StrCat("unix:", process->dir_, "/", kSocketName);

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  // --exit-with-parent as well as PR_SET_PDEATHSIG: the signal alone is lost on a plugin that is
  // busy draining, and the watch also covers a host that forked from a thread which then ended.
  // The child says when it serves on a pipe (no polling, no reconnect backoff); the write end is
  // the only descriptor it inherits.
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  process->ready_fd_ = ready[0];
  std::vector<std::string> args = {executable,         "serve",    "--quiet",
                                   "--exit-with-parent", "--listen", process->address_,
                                   "--ready-fd",       std::to_string(ready[1])};
  for (const auto& dir : rule_dirs) {
    args.push_back("--rules");
    args.push_back(dir);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    close(ready[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The plugin must not outlive a host that crashed or was killed.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    if (fcntl(ready[1], F_SETFD, 0) != 0) {
      WriteError("fcntl");
      _exit(127);
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) {
      WriteError("/dev/null");
      _exit(127);
    }
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
      WriteError("dup2");
      _exit(127);
    }
    execv(argv[0], argv.data());
    WriteError(argv[0]);
    _exit(127);
  }
  process->pid_ = pid;
  close(ready[1]);  // the child's now: end of file here once it is gone
  const std::string socket = absl::StrCat(process->dir_, "/", kSocketName);
  if (socket.size() < sizeof(g_cleanup.socket)) {
    std::memcpy(g_cleanup.socket, socket.c_str(), socket.size() + 1);
    std::memcpy(g_cleanup.dir, process->dir_.c_str(), process->dir_.size() + 1);
    g_cleanup.child = pid;
    struct sigaction action {};
    action.sa_handler = &CleanUpAndDie;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      sigaction(kCleanupSignals[i], nullptr, &g_previous[i]);
      // A signal the host was started with ignored (nohup, a background job of a script) stays
      // ignored.
      if (g_previous[i].sa_handler == SIG_IGN) continue;
      sigaction(kCleanupSignals[i], &action, nullptr);
    }
    process->handlers_installed_ = true;
  }
  return process;
}

absl::Status PluginProcess::WaitUntilReady(std::chrono::milliseconds timeout) {
  if (ready_fd_ < 0) return absl::FailedPreconditionError("no readiness pipe");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string said;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the plugin did not report serving within ", timeout.count(), " ms"));
    }
    pollfd waiting{ready_fd_, POLLIN, 0};
    const int n = poll(&waiting, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buffer[16];
    const ssize_t got = read(ready_fd_, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got > 0) {
      said.append(buffer, static_cast<std::size_t>(got));
      if (said.find('\n') == std::string::npos) continue;
      close(ready_fd_);
      ready_fd_ = -1;
      if (said == "ready\n") return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat("the plugin said \"", said, "\" instead of ready"));
    }
    // End of file: the child closed the pipe without being ready (it ended, or could not serve).
    close(ready_fd_);
    ready_fd_ = -1;
    const std::optional<std::string> ended = WaitExited(std::chrono::seconds(1));
    return absl::UnavailableError(absl::StrCat("the plugin ", ended ? *ended : "stopped",
                                               " before serving (its messages are above)"));
  }
}

PluginProcess::~PluginProcess() {
  if (ready_fd_ >= 0) close(ready_fd_);
  if (pid_ > 0 && !ended_.has_value()) (void)Stop(std::chrono::seconds(2));
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  if (handlers_installed_) {
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      sigaction(kCleanupSignals[i], &g_previous[i], nullptr);
    }
    g_cleanup = SignalCleanup();
  }
}

void PluginProcess::Reaped(int wait_status) {
  if (WIFEXITED(wait_status)) {
    ended_ = absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
    clean_exit_ = WEXITSTATUS(wait_status) == 0;
  } else if (WIFSIGNALED(wait_status)) {
    ended_ = absl::StrCat("killed by signal ", WTERMSIG(wait_status), " (",
                          strsignal(WTERMSIG(wait_status)), ")");
  } else {
    ended_ = "ended";
  }
}

std::optional<std::string> PluginProcess::Exited() {
  if (ended_.has_value() || pid_ <= 0) return ended_;
  int wait_status = 0;
  if (waitpid(pid_, &wait_status, WNOHANG) == pid_) Reaped(wait_status);
  return ended_;
}

std::optional<std::string> PluginProcess::WaitExited(std::chrono::milliseconds timeout) {
  if (Exited().has_value() || pid_ <= 0) return ended_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Woken the moment the child ends (a pidfd becomes readable then), not at the next tick of a
  // sleep loop: a one-role scan is over in tens of milliseconds, and a 10 ms tick was a tenth of
  // it (issue 13 item 6). Kernels before 5.3 have no pidfd: the loop polls instead.
  // (The raw system call: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.)
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  while (!Exited().has_value()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (pidfd >= 0) {
      pollfd ending{pidfd, POLLIN, 0};
      (void)poll(&ending, 1, static_cast<int>(left.count()));  // EINTR: look again
    } else {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(2)));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return ended_;
}

absl::Status PluginProcess::Stop(std::chrono::milliseconds grace) {
  if (!Exited().has_value() && pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!WaitExited(grace).has_value()) {
      kill(pid_, SIGKILL);
      int wait_status = 0;
      while (waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
      }
      Reaped(wait_status);
      *ended_ += absl::StrCat(" after not stopping within ", grace.count(), " ms of SIGTERM");
    }
  }
  if (clean_exit_) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("plugin ", ended_.value_or("did not start")));
}

}  // namespace kmsguard::plugin
