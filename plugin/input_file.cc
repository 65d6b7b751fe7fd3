#include "plugin/input_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kmsguard::plugin {

InputFile::InputFile(const std::string& path)
    : file_(path == kStandardInput ? stdin : std::fopen(path.c_str(), "rb")),
      owns_file_(path != kStandardInput) {
  if (file_ == nullptr) {
    status_ = absl::NotFoundError(absl::StrCat("cannot read the file: ", std::strerror(errno)));
    return;
  }
  if (struct stat st; fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode)) {
    raw_size_ = static_cast<std::uint64_t>(st.st_size);
  }
  // The magic bytes decide whether the content goes through gzip; they are read from the file
  // itself, so a pipe is never read twice.
  char magic[2];
  std::size_t have = 0;
  while (have < sizeof(magic)) {
    const std::size_t n = ReadRaw(magic + have, sizeof(magic) - have);
    if (n == 0) break;
    have += n;
  }
  std::string_view head(magic, have);
  if (adapters::IsGzip(head)) {
    auto replay = std::make_shared<std::string>(head);
    gunzip_ = std::make_unique<adapters::GunzipStream>(
        [this, replay](char* buffer, std::size_t size) -> std::size_t {
          if (!replay->empty()) {
            const std::size_t n = std::min(size, replay->size());
            std::memcpy(buffer, replay->data(), n);
            replay->erase(0, n);
            return n;
          }
          return ReadRaw(buffer, size);
        });
  } else {
    prefix_.assign(head);
  }
  // The rest of the prefix, decompressed.
  const std::size_t before = prefix_.size();
  prefix_.resize(kPrefixBytes);
  std::size_t filled = gunzip_ ? 0 : before;
  while (filled < prefix_.size()) {
    const std::size_t n = ReadContent(prefix_.data() + filled, prefix_.size() - filled);
    if (n == 0) break;
    filled += n;
  }
  prefix_.resize(filled);
}

InputFile::~InputFile() {
  gunzip_.reset();  // it reads through file_
  if (file_ != nullptr && owns_file_) std::fclose(file_);
}

std::size_t InputFile::ReadRaw(char* buffer, std::size_t size) {
  if (file_ == nullptr) return 0;
  const std::size_t n = std::fread(buffer, 1, size, file_);
  raw_bytes_read_ += n;
  if (n == 0 && std::ferror(file_) != 0 && status_.ok()) {
    status_ = absl::DataLossError(absl::StrCat("cannot read the file: ", std::strerror(errno)));
  }
  return n;
}

std::size_t InputFile::ReadContent(char* buffer, std::size_t size) {
  return gunzip_ ? gunzip_->Read(buffer, size) : ReadRaw(buffer, size);
}

std::size_t InputFile::Read(char* buffer, std::size_t size) {
  if (prefix_read_ < prefix_.size()) {
    const std::size_t n = std::min(size, prefix_.size() - prefix_read_);
    std::memcpy(buffer, prefix_.data() + prefix_read_, n);
    prefix_read_ += n;
    return n;
  }
  return ReadContent(buffer, size);
}

absl::StatusOr<std::string> InputFile::ReadAll(std::size_t max_bytes) {
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const std::size_t n = Read(buffer, sizeof(buffer));
    if (n == 0) break;
    if (text.size() + n > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("larger than ", max_bytes >> 20,
                       " MiB, the limit for a file read whole (--max-input-mib); "
                       "authorization-details exports are streamed and have no limit"));
    }
    text.append(buffer, n);
  }
  return text;
}

absl::Status InputFile::status() const {
  if (!status_.ok()) return status_;
  return gunzip_ ? gunzip_->status() : absl::OkStatus();
}

}  // namespace kmsguard::plugin
