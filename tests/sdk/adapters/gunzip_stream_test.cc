// GunzipStream against the whole-buffer Gunzip: the same bytes and the same verdict (corrupt,
// truncated, fine), however the compressed bytes arrive and however the output is asked for.
#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/gzip.h"
#include "tests/gzip_fixture.h"

namespace kmsguard::adapters {
namespace {

using testing::GzipOf;

// Text that compresses only about 2:1, so the compressed data spans many input chunks.
std::string Text(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string text;
  while (text.size() < size) text += static_cast<char>('a' + rng() % 16);
  return text;
}

struct Streamed {
  std::string out;
  absl::Status status;
};

Streamed ReadAll(const std::string& data, std::size_t source_chunk, std::size_t read_size) {
  std::size_t offset = 0;
  GunzipStream stream([&](char* buffer, std::size_t size) {
    const std::size_t n = std::min({size, source_chunk, data.size() - offset});
    data.copy(buffer, n, offset);
    offset += n;
    return n;
  });
  Streamed result;
  std::string buffer(read_size, '\0');
  while (const std::size_t n = stream.Read(buffer.data(), buffer.size())) {
    result.out.append(buffer.data(), n);
  }
  result.status = stream.status();
  return result;
}

TEST(GunzipStreamTest, AgreesWithGunzipForEveryChunkingAndDamage) {
  const std::string big = GzipOf(Text(300000, 1));
  std::string corrupt = big;
  corrupt[corrupt.size() / 2] ^= 0x55;
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"one member", big},
      {"empty member", GzipOf("")},
      {"two members", GzipOf(Text(5000, 2)) + big},
      {"trailing bytes", big + "not gzip"},
      {"one trailing byte", big + "x"},
      {"truncated in the header", big.substr(0, 5)},
      {"truncated in the data", big.substr(0, big.size() / 3)},
      {"truncated in the trailer", big.substr(0, big.size() - 1)},
      {"corrupt", corrupt},
  };
  for (const auto& [name, data] : inputs) {
    const absl::StatusOr<std::string> whole = Gunzip(data);
    for (const std::size_t source_chunk : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
      for (const std::size_t read_size : {std::size_t{7}, std::size_t{1} << 20}) {
        if (source_chunk == 1 && data.size() > 100000 && read_size == 7) continue;  // slow, adds nothing
        const Streamed streamed = ReadAll(data, source_chunk, read_size);
        const std::string where = name + ", chunks of " + std::to_string(source_chunk) +
                                  ", reads of " + std::to_string(read_size);
        ASSERT_EQ(streamed.status.ok(), whole.ok())
            << where << ": " << streamed.status << " vs " << whole.status();
        if (whole.ok()) {
          EXPECT_EQ(streamed.out, *whole) << where;
        } else {
          EXPECT_EQ(streamed.status.code(), absl::StatusCode::kInvalidArgument) << where;
        }
      }
    }
  }
}

}  // namespace
}  // namespace kmsguard::adapters
