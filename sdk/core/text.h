// Text made safe for a terminal: user content (names, policy excerpts, error messages echoing
// input) must never move the cursor, change colours or retitle the window of whoever reads it.
#pragma once

#include <string>
#include <string_view>

namespace kmsguard::core {

// `text` with every C0 control (0x00-0x1f), DEL, C1 control (U+0080-U+009F) and every byte that
// is not part of valid UTF-8 written as a visible "\xNN" escape (C1 as "\u0080".."\u009f");
// other valid UTF-8 is kept. Newlines and tabs are escaped too: callers that want lines split
// them first.
std::string TerminalSafe(std::string_view text);

// At most `max_bytes` of `line` around byte offset `center` (0-based), cut at UTF-8 character
// boundaries, with "..." where text was left out on either side. `*center_out` receives the
// offset of `center` inside the result. Used to show a minified JSON line near an error.
std::string Excerpt(std::string_view line, std::size_t center, std::size_t max_bytes,
                    std::size_t* center_out);

}  // namespace kmsguard::core
