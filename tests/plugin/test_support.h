// Helpers for the plugin tests: private temp directories and running the kmsguard binary.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace kmsguard::testing {

// A fresh 0700 directory under /tmp (short, so Unix socket paths fit), removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string name = "/tmp/kmsguard-test-XXXXXX";
    if (mkdtemp(name.data()) != nullptr) path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Writes `text` to `name` inside the directory and returns the full path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string full = File(name);
    std::ofstream(full, std::ios::binary) << text;
    return full;
  }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally (signal, timeout, spawn failure)
  std::string out;
  std::string err;
};

// A running child whose stdout and stderr go to files in `dir`.
class Process {
 public:
  Process(const std::vector<std::string>& args, const TempDir& dir, const std::string& tag)
      : out_path_(dir.File(tag + ".stdout")), err_path_(dir.File(tag + ".stderr")) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& arg : copy) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0 && !done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const {
    if (pid_ > 0 && !done_) kill(pid_, signal_number);
  }

  // Waits up to `timeout`; kills the child after it (exit_code stays -1).
  ProcessResult Wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ProcessResult result;
    if (pid_ <= 0) return result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (!done_) {
      const pid_t rc = waitpid(pid_, &status, WNOHANG);
      if (rc == pid_) {
        done_ = true;
        if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        done_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    result.out = ReadFile(out_path_);
    result.err = ReadFile(err_path_);
    return result;
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  std::string out_path_;
  std::string err_path_;
};

// Runs `args` to completion, killing it after `timeout` (a hang guard, never a timing assertion).
inline ProcessResult Run(const std::vector<std::string>& args,
                         std::chrono::seconds timeout = std::chrono::seconds(60)) {
  TempDir dir;
  Process process(args, dir, "run");
  return process.Wait(timeout);
}

// Runs `command` through /bin/sh (pipes, redirections).
inline ProcessResult Shell(const std::string& command,
                           std::chrono::seconds timeout = std::chrono::seconds(60)) {
  return Run({"/bin/sh", "-c", command}, timeout);
}

// Runs the kmsguard binary under test with `args`.
inline ProcessResult Kmsguard(std::vector<std::string> args,
                              std::chrono::seconds timeout = std::chrono::seconds(60)) {
  args.insert(args.begin(), KMSGUARD_BINARY);
  return Run(args, timeout);
}

// A run's exit status and the start of its output, for a failed expectation's message.
inline std::string DescribeRun(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out.substr(0, 3000) +
         "\n--- stderr:\n" + r.err.substr(0, 3000);
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The bundled example account (docs/examples/account-authorization-details.json).
inline std::string BundledExample() {
  return std::string(KMSGUARD_SOURCE_DIR) + "/docs/examples/account-authorization-details.json";
}

// The reference samples beside the clone (../shared/samples). Tests that read them skip when the
// directory is absent, so a clone on its own still passes; CI has it beside the clone.
inline std::string SharedSamplesDir() { return std::string(KMSGUARD_SHARED_DIR) + "/samples"; }

#define KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES()                                           \
  do {                                                                                   \
    if (!std::filesystem::is_directory(::kmsguard::testing::SharedSamplesDir()))         \
      GTEST_SKIP() << "shared reference samples not present at " << KMSGUARD_SHARED_DIR; \
  } while (false)

// Makes, with the openssl CLI, in `dir`: a CA (ca.pem, ca.key), and from it a server and a client
// certificate (server.pem/.key, client.pem/.key), both for localhost and 127.0.0.1. False if
// openssl failed.
inline bool MakeTestCertificates(const std::string& dir) {
  const std::string script =
      "set -e; cd '" + dir +
      "'; openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=kmsguard-test-ca 2>/dev/null"
      "; printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext"
      "; for who in server client; do"
      "  openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj /CN=$who "
      "2>/dev/null;"
      "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem "
      "-days 2 -extfile san.ext 2>/dev/null; done";
  return std::system(script.c_str()) == 0;
}

// A minimal valid rule file (kmsguard/v1) on AWS::IAM::Role: `violation` is the condition as a
// YAML flow mapping, `message` the message template.
inline std::string RoleRuleYaml(const std::string& id, const std::string& violation,
                                const std::string& message) {
  return "api_version: kmsguard/v1\nkind: Rule\nid: " + id +
         "\nversion: 1.0.0\ntitle: t\ndescription: d\nseverity: low\n"
         "resource_types: [AWS::IAM::Role]\nviolation:\n  " +
         violation + "\nmessage: \"" + message + "\"\nremediation: {summary: rename it}\n";
}

}  // namespace kmsguard::testing
