#include "sdk/render/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <queue>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace kmsguard::render::internal {

namespace {

// A spilled finding is a record of its fields in one fixed order, listed once (the Fields
// overloads) for writing, reading back and counting its memory (FindingBytes): a string is its
// length then its bytes (kept exactly, invalid UTF-8 too), a list its count then its items, an enum
// or a bool one byte, an int four. No version, tag or byte order: the file is unlinked and read
// only by the process that wrote it. This replaced CBOR through an nlohmann DOM, which cost 35-60
// us per finding and a quarter of the CPU of a large table scan (docs/performance.md).
template <class T, class U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

template <class Io, Is<core::SourceLocation> T>
void Fields(Io& io, T& x) {
  io(x.file), io(x.line), io(x.column), io(x.json_pointer), io(x.resource_id);
}
template <class Io, Is<model::ComplianceRef> T>
void Fields(Io& io, T& x) {
  io(x.standard), io(x.control);
}
template <class Io, Is<model::Remediation> T>
void Fields(Io& io, T& x) {
  io(x.summary), io(x.console), io(x.cli), io(x.terraform);
}
template <class Io, Is<model::Evidence> T>
void Fields(Io& io, T& x) {
  io(x.policy_name), io(x.statement_index), io(x.sid), io(x.effect), io(x.actions),
      io(x.action_patterns), io(x.not_action), io(x.resource_patterns), io(x.not_resource),
      io(x.condition_keys), io(x.note);
}
template <class Io, Is<model::Suppression> T>
void Fields(Io& io, T& x) {
  io(x.status), io(x.reason), io(x.owner), io(x.expires);
}
template <class Io, Is<model::SeverityChange> T>
void Fields(Io& io, T& x) {
  io(x.from), io(x.to), io(x.reason);
}
template <class Io, Is<model::Finding> T>
void Fields(Io& io, T& x) {
  io(x.rule_id), io(x.rule_version), io(x.title), io(x.severity), io(x.status), io(x.resource_id),
      io(x.resource_type), io(x.resource_name), io(x.provider), io(x.partition), io(x.account),
      io(x.organization), io(x.organizational_unit), io(x.region), io(x.sub_key), io(x.message),
      io(x.remediation), io(x.compliance), io(x.evidence), io(x.conditional), io(x.source),
      io(x.exposed_to), io(x.exposure), io(x.explanation), io(x.suppression),
      io(x.severity_changes);
}

// A type whose fields are listed above: writer, reader and size counter visit it with Fields.
struct AnyIo {};
template <class T>
concept Listed = requires(AnyIo& io, T& x) {
  Fields(io, x);
};

// The 26 fields above (15 strings, 5 vectors, 3 structs, 3 small scalars padded to 16 bytes) on
// libstdc++ x86_64: a new field must be added to the list above, then here.
static_assert(sizeof(model::Finding) == 15 * sizeof(std::string) + 5 * sizeof(std::vector<int>) +
                                            sizeof(model::Remediation) +
                                            sizeof(core::SourceLocation) +
                                            sizeof(model::Suppression) + 16,
              "model::Finding changed: update the spool's field list in spool.cc");

using Length = std::uint32_t;

class RecordWriter {
 public:
  explicit RecordWriter(std::string* out) : out_(out) {}
  void operator()(const std::string& text) {
    Count(text.size());
    out_->append(text);
  }
  void operator()(bool value) { out_->push_back(value ? '\1' : '\0'); }
  void operator()(int value) { Count(static_cast<std::uint32_t>(value)); }
  void operator()(model::Severity value) { out_->push_back(static_cast<char>(value)); }
  void operator()(model::Status value) { out_->push_back(static_cast<char>(value)); }
  template <class T>
  void operator()(const std::vector<T>& items) {
    Count(items.size());
    for (const T& item : items) (*this)(item);
  }
  template <Listed T>
  void operator()(const T& x) {
    Fields(*this, x);
  }

  // False when a string or list is too long for its 32-bit count (checked once, at the end).
  bool ok() const { return ok_; }

 private:
  void Count(std::size_t n) {
    if (n > std::numeric_limits<Length>::max()) ok_ = false;
    const Length length = static_cast<Length>(n);
    out_->append(reinterpret_cast<const char*>(&length), sizeof length);
  }
  std::string* out_;
  bool ok_ = true;
};

class RecordReader {
 public:
  explicit RecordReader(std::string_view in) : in_(in) {}
  void operator()(std::string& text) {
    const std::size_t n = Count(1);
    if (ok_) text.assign(Take(n));
  }
  void operator()(bool& value) { value = Byte() != 0; }
  void operator()(int& value) { value = static_cast<int>(Count(0, /*any=*/true)); }
  void operator()(model::Severity& value) { value = static_cast<model::Severity>(Byte()); }
  void operator()(model::Status& value) { value = static_cast<model::Status>(Byte()); }
  template <class T>
  void operator()(std::vector<T>& items) {
    // Each item takes at least one byte, so a count beyond what is left is a damaged record.
    items.resize(Count(1));
    for (T& item : items) (*this)(item);
  }
  template <Listed T>
  void operator()(T& x) {
    Fields(*this, x);
  }

  // True when every field was read and nothing is left over.
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view Take(std::size_t n) {
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    const std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  unsigned char Byte() {
    const std::string_view b = Take(1);
    return b.empty() ? 0 : static_cast<unsigned char>(b[0]);
  }
  // A count of things of at least `unit` bytes each that must fit in what is left (unless `any`:
  // an int's value).
  std::size_t Count(std::size_t unit, bool any = false) {
    const std::string_view b = Take(sizeof(Length));
    if (b.empty()) return 0;
    Length n;
    std::memcpy(&n, b.data(), sizeof n);
    if (!any && static_cast<std::size_t>(n) * unit > in_.size()) {
      ok_ = false;
      return 0;
    }
    return n;
  }
  std::string_view in_;
  bool ok_ = true;
};

constexpr std::size_t kMinReadBuffer = 4096;
constexpr std::size_t kMaxReadBuffer = 1 << 20;

// The heap bytes a finding holds beyond its own object, visiting the same field list as the
// record (so a new field is counted once it is listed): each string's characters, each list's
// elements and what they hold.
class HeapBytes {
 public:
  void operator()(const std::string& text) { n_ += text.size(); }
  void operator()(bool) {}
  void operator()(int) {}
  void operator()(model::Severity) {}
  void operator()(model::Status) {}
  template <class T>
  void operator()(const std::vector<T>& items) {
    n_ += items.size() * sizeof(T);
    for (const T& item : items) (*this)(item);
  }
  template <Listed T>
  void operator()(const T& x) {
    Fields(*this, x);
  }
  std::size_t bytes() const { return n_; }

 private:
  std::size_t n_ = 0;
};

std::size_t ReadBufferBytes(std::size_t budget, std::size_t readers) {
  return std::clamp(budget / std::max<std::size_t>(readers, 1), kMinReadBuffer, kMaxReadBuffer);
}

}  // namespace

std::size_t FindingBytes(const model::Finding& f) {
  HeapBytes heap;
  Fields(heap, f);
  return sizeof(model::Finding) + heap.bytes();
}

SpillFile::~SpillFile() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status SpillFile::Error(const char* what, int error) const {
  return absl::InternalError(
      absl::StrCat("cannot ", what, " a temporary file in ", dir_,
                   " (findings spilled beyond the memory budget): ", std::strerror(error)));
}

absl::Status SpillFile::Create(std::unique_ptr<SpillFile>* out) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir : "/tmp";
  std::string path = absl::StrCat(dir, "/kmsguard-spool-XXXXXX");
  // Close-on-exec: a host that starts a plugin process later must not hand it the descriptor.
  const int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return SpillFile(nullptr, dir).Error("create", error);
  }
  // Unlinked at once: the open descriptor keeps the data, and nothing is left behind.
  unlink(path.c_str());
  std::FILE* file = fdopen(fd, "w+b");
  if (file == nullptr) {
    const int error = errno;
    close(fd);
    return SpillFile(nullptr, dir).Error("open", error);
  }
  out->reset(new SpillFile(file, std::move(dir)));
  return absl::OkStatus();
}

absl::Status SpillFile::Append(const model::Finding& finding) {
  std::string& bytes = record_;
  bytes.clear();
  RecordWriter writer(&bytes);
  Fields(writer, finding);
  if (!writer.ok() || bytes.size() > std::numeric_limits<Length>::max()) {
    return Error("write", EFBIG);
  }
  const Length length = static_cast<Length>(bytes.size());
  if (std::fwrite(&length, sizeof length, 1, file_) != 1 ||
      std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return Error("write", errno);
  }
  size_ += sizeof length + bytes.size();
  return absl::OkStatus();
}

absl::Status SpillFile::Flush() {
  if (std::fflush(file_) != 0) return Error("write", errno);
  return absl::OkStatus();
}

SpillFile::Reader::Reader(const SpillFile* file, std::size_t begin, std::size_t end,
                          std::size_t buffer_bytes)
    : file_(file), position_(begin), end_(end), buffer_bytes_(buffer_bytes) {}

bool SpillFile::Reader::Read(std::size_t n, std::string* out) {
  out->clear();
  while (out->size() < n) {
    if (buffer_at_ == buffer_.size()) {
      const std::size_t want = std::min(std::max(buffer_bytes_, n - out->size()), end_ - position_);
      if (want == 0) {
        status_ = absl::InternalError(
            absl::StrCat("a temporary file in ", file_->dir_, " ends inside a finding"));
        return false;
      }
      buffer_.resize(want);
      const ssize_t got =
          pread(fileno(file_->file_), buffer_.data(), want, static_cast<off_t>(position_));
      if (got <= 0) {
        status_ = file_->Error("read", got < 0 ? errno : EIO);
        return false;
      }
      buffer_.resize(static_cast<std::size_t>(got));
      position_ += static_cast<std::size_t>(got);
      buffer_at_ = 0;
    }
    const std::size_t take = std::min(n - out->size(), buffer_.size() - buffer_at_);
    out->append(buffer_, buffer_at_, take);
    buffer_at_ += take;
  }
  return true;
}

bool SpillFile::Reader::Next(model::Finding* finding) {
  if (!status_.ok() || (position_ == end_ && buffer_at_ == buffer_.size())) return false;
  std::string& bytes = record_;
  if (!Read(sizeof(Length), &bytes)) return false;
  Length length;
  std::memcpy(&length, bytes.data(), sizeof length);
  if (!Read(length, &bytes)) return false;
  *finding = model::Finding();
  RecordReader reader(bytes);
  Fields(reader, *finding);
  if (!reader.done()) {
    status_ = absl::InternalError(
        absl::StrCat("a temporary file in ", file_->dir_, " holds a damaged finding"));
    return false;
  }
  return true;
}

void ArrivalSpool::Add(model::Finding&& finding) {
  ++count_;
  if (!status_.ok()) return;  // already failed: Finish reports it
  memory_bytes_ += FindingBytes(finding);
  memory_.push_back(std::move(finding));
  if (memory_bytes_ > budget_) status_ = Spill();
}

absl::Status ArrivalSpool::Spill() {
  std::vector<model::Finding> findings = std::move(memory_);
  memory_.clear();
  memory_bytes_ = 0;
  if (file_ == nullptr) {
    if (absl::Status created = SpillFile::Create(&file_); !created.ok()) return created;
  }
  for (const model::Finding& f : findings) {
    if (absl::Status appended = file_->Append(f); !appended.ok()) return appended;
  }
  return absl::OkStatus();
}

absl::Status ArrivalSpool::ForEach(const FindingVisitor& visit) {
  if (!status_.ok()) return status_;
  if (file_ != nullptr) {
    if (absl::Status flushed = file_->Flush(); !flushed.ok()) return flushed;
    SpillFile::Reader reader(file_.get(), 0, file_->size(), ReadBufferBytes(budget_, 1));
    model::Finding f;
    while (reader.Next(&f)) visit(f);
    if (!reader.status().ok()) return reader.status();
  }
  for (const model::Finding& f : memory_) visit(f);
  return absl::OkStatus();
}

void SortedSpool::Add(model::Finding&& finding) {
  ++count_;
  if (!status_.ok()) return;
  memory_bytes_ += FindingBytes(finding);
  memory_.push_back(std::move(finding));
  if (memory_bytes_ > budget_) status_ = SpillRun();
}

absl::Status SortedSpool::SpillRun() {
  std::vector<model::Finding> findings = std::move(memory_);
  memory_.clear();
  memory_bytes_ = 0;
  std::stable_sort(findings.begin(), findings.end(), less_);
  if (file_ == nullptr) {
    if (absl::Status created = SpillFile::Create(&file_); !created.ok()) return created;
  }
  const std::size_t begin = file_->size();
  for (const model::Finding& f : findings) {
    if (absl::Status appended = file_->Append(f); !appended.ok()) return appended;
  }
  runs_.emplace_back(begin, file_->size());
  return absl::OkStatus();
}

absl::Status SortedSpool::ForEach(const FindingVisitor& visit) {
  if (!status_.ok()) return status_;
  if (runs_.empty()) {  // everything fit: today's in-memory sort
    std::stable_sort(memory_.begin(), memory_.end(), less_);
    for (const model::Finding& f : memory_) visit(f);
    return absl::OkStatus();
  }
  if (!memory_.empty()) {
    if (absl::Status spilled = SpillRun(); !spilled.ok()) return spilled;
  }
  if (absl::Status flushed = file_->Flush(); !flushed.ok()) return flushed;

  // A k-way merge. Runs hold consecutive stretches of the input, so taking the earlier run on
  // equal findings gives what one stable sort of everything would.
  const std::size_t buffer = ReadBufferBytes(budget_, runs_.size());
  std::vector<SpillFile::Reader> readers;
  readers.reserve(runs_.size());
  for (const auto& [begin, end] : runs_) readers.emplace_back(file_.get(), begin, end, buffer);
  std::vector<model::Finding> heads(runs_.size());
  const auto after = [&](std::size_t a, std::size_t b) {
    if (less_(heads[b], heads[a])) return true;
    if (less_(heads[a], heads[b])) return false;
    return a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(after)> queue(after);
  for (std::size_t run = 0; run < readers.size(); ++run) {
    if (readers[run].Next(&heads[run])) {
      queue.push(run);
    } else if (!readers[run].status().ok()) {
      return readers[run].status();
    }
  }
  while (!queue.empty()) {
    const std::size_t run = queue.top();
    queue.pop();
    visit(heads[run]);
    if (readers[run].Next(&heads[run])) {
      queue.push(run);
    } else if (!readers[run].status().ok()) {
      return readers[run].status();
    }
  }
  return absl::OkStatus();
}

}  // namespace kmsguard::render::internal
