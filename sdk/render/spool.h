// Spools for the writers whose format needs every finding before it can write the first one
// (table and HTML sort their rows; SARIF lists the rules before the results): findings stay in
// memory up to a byte budget and the rest go to unlinked temporary files, read back at Finish.
// Internal to sdk/render.
//
// A spilled finding is a record of its fields (strings length-prefixed, bytes kept exactly),
// preceded by its length; spool.cc lists the fields once for both directions. The protocol's
// protobuf mapping (sdk/client/convert.h) is not used: kmsguard_sdk links no protobuf and
// kmsguard_client depends on kmsguard_sdk, and convert.h replaces invalid UTF-8, which would
// break the byte-for-byte promise of FindingWriter.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "sdk/model/finding.h"

namespace kmsguard::render::internal {

// What a finding costs in memory (its strings and structs), what memory budgets count.
std::size_t FindingBytes(const model::Finding& finding);

// Called with each finding read back, in order.
using FindingVisitor = std::function<void(const model::Finding&)>;

// An unlinked temporary file in $TMPDIR (or /tmp) that findings are appended to. Nothing is left
// on disk, even when the process dies. Errors (Internal) name the directory and the errno text.
class SpillFile {
 public:
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  static absl::Status Create(std::unique_ptr<SpillFile>* out);
  absl::Status Append(const model::Finding& finding);
  // Bytes appended so far: where the next finding starts.
  std::size_t size() const { return size_; }
  // Makes everything appended readable by Reader.
  absl::Status Flush();

  // Reads the findings stored in [begin, end) with a buffer of `buffer_bytes`.
  class Reader {
   public:
    Reader(const SpillFile* file, std::size_t begin, std::size_t end, std::size_t buffer_bytes);
    // False at the end or on an error (then status() is not OK).
    bool Next(model::Finding* finding);
    const absl::Status& status() const { return status_; }

   private:
    bool Read(std::size_t n, std::string* out);

    const SpillFile* file_;
    std::size_t position_, end_;
    std::size_t buffer_bytes_;
    std::string buffer_;
    std::size_t buffer_at_ = 0;
    std::string record_;  // the record being read, reused
    absl::Status status_;
  };

 private:
  SpillFile(std::FILE* file, std::string dir) : file_(file), dir_(std::move(dir)) {}
  absl::Status Error(const char* what, int error) const;

  std::FILE* file_;
  std::string dir_;
  std::size_t size_ = 0;
  std::string record_;  // the record being written, reused
};

// Findings in arrival order.
class ArrivalSpool {
 public:
  explicit ArrivalSpool(std::size_t memory_budget_bytes) : budget_(memory_budget_bytes) {}
  void Add(const model::Finding& finding) { Add(model::Finding(finding)); }
  void Add(model::Finding&& finding);
  std::size_t count() const { return count_; }
  // The first error spilling findings so far (OK when none): a writer checks it before it
  // writes anything, so that a failed spill never looks like a complete, empty output.
  const absl::Status& status() const { return status_; }
  // Visits every finding added, in order; may be called more than once. Returns the first spill
  // error (findings after it are not visited).
  absl::Status ForEach(const FindingVisitor& visit);

 private:
  absl::Status Spill();

  std::size_t budget_;
  std::size_t count_ = 0;
  std::vector<model::Finding> memory_;
  std::size_t memory_bytes_ = 0;
  std::unique_ptr<SpillFile> file_;
  absl::Status status_;
};

// Findings in the order std::stable_sort with `less` gives the whole sequence: chunks of about
// the budget are sorted and spilled as runs, then merged (equal findings: earlier run first).
class SortedSpool {
 public:
  using Less = bool (*)(const model::Finding& a, const model::Finding& b);
  SortedSpool(std::size_t memory_budget_bytes, Less less)
      : budget_(memory_budget_bytes), less_(less) {}
  void Add(const model::Finding& finding) { Add(model::Finding(finding)); }
  void Add(model::Finding&& finding);
  std::size_t count() const { return count_; }
  // The first error spilling findings so far (OK when none); see ArrivalSpool::status.
  const absl::Status& status() const { return status_; }
  // Visits every finding added, sorted. Call once. Returns the first spill or read-back error.
  absl::Status ForEach(const FindingVisitor& visit);

 private:
  absl::Status SpillRun();

  std::size_t budget_;
  Less less_;
  std::size_t count_ = 0;
  std::vector<model::Finding> memory_;
  std::size_t memory_bytes_ = 0;
  std::unique_ptr<SpillFile> file_;
  std::vector<std::pair<std::size_t, std::size_t>> runs_;  // [begin, end) in file_
  absl::Status status_;
};

}  // namespace kmsguard::render::internal
