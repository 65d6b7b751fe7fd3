#include "plugin/terminal_width.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace kmsguard::plugin {

std::size_t TableWidth(const char* columns_env, std::optional<std::size_t> terminal_columns) {
  if (columns_env != nullptr) {
    const std::string_view text(columns_env);
    std::size_t value = 0;
    bool digits = !text.empty() && text.size() <= 6;
    for (const char c : text) {
      if (c < '0' || c > '9') digits = false;
      if (digits) value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    if (digits && value > 0) return value;
  }
  if (terminal_columns.has_value() && *terminal_columns > 0) return *terminal_columns;
  return kDefaultTableWidth;
}

std::optional<std::size_t> TerminalColumns(int fd) {
  winsize size{};
  if (isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  return std::nullopt;
}

std::size_t TableWidthForStdout() {
  return TableWidth(std::getenv("COLUMNS"), TerminalColumns(STDOUT_FILENO));
}

}  // namespace kmsguard::plugin
