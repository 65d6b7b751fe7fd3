// How wide the table of `kmsguard scan` is drawn: the COLUMNS environment variable when it holds
// a width, else the terminal's width when stdout is a terminal, else kDefaultTableWidth. Also the
// width of a terminal, for the progress line on stderr.
#pragma once

#include <cstddef>
#include <optional>

namespace kmsguard::plugin {

// The width for output that goes to a file or a pipe, where nobody says how wide it is read.
inline constexpr std::size_t kDefaultTableWidth = 120;

// The decision, given what it is made from: `columns_env` is $COLUMNS (nullptr when unset; a
// value that is not a positive number is ignored, as shells and ls ignore it), `terminal_columns`
// the width of the terminal stdout is on (std::nullopt when stdout is not a terminal).
std::size_t TableWidth(const char* columns_env, std::optional<std::size_t> terminal_columns);

// The columns of the terminal `fd` is on (TIOCGWINSZ); std::nullopt when it is not a terminal or
// does not say.
std::optional<std::size_t> TerminalColumns(int fd);

// The same, for this process: reads $COLUMNS and asks the terminal on stdout (TIOCGWINSZ).
std::size_t TableWidthForStdout();

}  // namespace kmsguard::plugin
