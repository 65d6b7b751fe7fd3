#include "sdk/render/json_stream.h"

#include <sstream>
#include <string>
#include <utility>

#include "sdk/core/json_text.h"

namespace kmsguard::render::internal {

void WriteNested(std::ostream& out, const OrderedJson& value, int depth) {
  const std::string text = core::DumpJson(value, 2);
  const std::string indent(static_cast<std::size_t>(depth), ' ');
  std::size_t from = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    out << indent;
    from = nl + 1;
  }
  out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

void JsonArrayStream::Add(const OrderedJson& element) {
  out_ << (empty_ ? "[\n" : ",\n") << std::string(static_cast<std::size_t>(depth_) + 2, ' ');
  empty_ = false;
  WriteNested(out_, element, depth_ + 2);
}

void JsonArrayStream::AddText(std::string_view element) {
  out_ << (empty_ ? "[\n" : ",\n") << std::string(static_cast<std::size_t>(depth_) + 2, ' ');
  empty_ = false;
  out_.write(element.data(), static_cast<std::streamsize>(element.size()));
}

void JsonArrayStream::Close() {
  if (empty_) {
    out_ << "[]";
  } else {
    out_ << '\n' << std::string(static_cast<std::size_t>(depth_), ' ') << ']';
  }
}

std::string ObjectMembers(const OrderedJson& object) {
  // dump(2) of a non-empty object is "{\n" + members + "\n}".
  const std::string text = core::DumpJson(object, 2);
  return text.substr(2, text.size() - 4);
}

absl::Status FlushStatus(std::ostream& out) {
  out.flush();
  if (!out) return absl::InternalError("the output stream failed; the output is incomplete");
  return absl::OkStatus();
}

}  // namespace kmsguard::render::internal
