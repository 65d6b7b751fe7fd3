// Text made safe for a terminal: user content (names, policy excerpts, error messages echoing
// input) must never move the cursor, change colours or retitle the window of whoever reads it.
#pragma once

#include <string>
#include <string_view>

namespace kmsguard::core {

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629 / Unicode Table 3-7: no
// overlongs, no surrogates, nothing above U+10FFFF), or 0 when the bytes there are ill-formed;
// `*invalid` is then the length of the maximal invalid subpart (at least 1). `i < text.size()`.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i, std::size_t* invalid);

// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD (one per maximal invalid
// subpart, as Unicode recommends); valid text is returned unchanged.
std::string ValidUtf8(std::string_view text);

// `text` with every C0 control (0x00-0x1f), DEL, C1 control (U+0080-U+009F) and every byte that
// is not part of valid UTF-8 written as a visible "\xNN" escape (C1 as "\u0080".."\u009f");
// other valid UTF-8 is kept. Newlines and tabs are escaped too: callers that want lines split
// them first.
std::string TerminalSafe(std::string_view text);
// The same, appended to `*out` (templates insert every value of every finding).
void AppendTerminalSafe(std::string_view text, std::string* out);

// At most `max_bytes` of `line` around byte offset `center` (0-based), cut at UTF-8 character
// boundaries, with "..." where text was left out on either side. `*center_out` receives the
// offset of `center` inside the result. Used to show a minified JSON line near an error.
std::string Excerpt(std::string_view line, std::size_t center, std::size_t max_bytes,
                    std::size_t* center_out);

// How StarGlobMatch compares: ASCII letters ignore case (AWS actions, Azure operations; Google
// Cloud permission names are case-sensitive); '?' matches any one character (AWS actions).
struct GlobOptions {
  bool ignore_case = false;
  bool question_mark = false;
};

// True when `text` matches `pattern`, where '*' matches any run of characters (possibly empty)
// and every other character matches itself (but '?' under `options.question_mark`). Greedy with
// one backtrack point, the last '*': linear in practice, never exponential, and sufficient since
// '*' is unrestricted.
bool StarGlobMatch(std::string_view pattern, std::string_view text, GlobOptions options = {});

// `text` as one POSIX shell word: 'text', each ' written as '\''. For values pasted into commands.
std::string ShellQuote(std::string_view text);

// `text` as one quoted Terraform (HCL) string: \ and " escaped, control characters as \n, \r,
// \t or \uNNNN, and "${" / "%{" doubled to "$${" / "%%{" so Terraform does not interpolate.
std::string HclQuote(std::string_view text);
// The same, appended to `*out` (the rewritten policies quote every value of a document).
void AppendHclQuote(std::string_view text, std::string* out);

}  // namespace kmsguard::core
