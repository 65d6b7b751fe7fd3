// "What changed since the last scan" (`kmsguard scan --baseline FILE`, issue 18): an earlier
// scan's output read back (JSON, JSON Lines, OCSF or SARIF, as kmsguard writes them), and each
// finding of this scan compared with it by finding uid. The baseline is an input of rendering:
// the writers that know it (RenderOptions::baseline) add each format's own field. Text in, no file
// I/O (the caller reads the file, gzip included). docs/findings.md, "Baseline".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"
#include "sdk/render/render.h"

namespace kmsguard::render {

// NEW: open now, not open (or absent) before. UNCHANGED: as before. UPDATED: open before and now
// with another severity or status (or, for a finding not open, another status). RESOLVED: open
// before, and now passing, suppressed, or gone from a scan that covered it. kNone: no baseline.
enum class BaselineState : std::uint8_t { kNone, kNew, kUnchanged, kUpdated, kResolved };
std::string_view BaselineStateName(BaselineState state);  // "NEW", ...; "" for kNone

// FAIL, WARNING and ERROR: what needs someone's action (PASS and SUPPRESSED do not).
bool IsOpen(model::Status status);

// One finding of the earlier scan, with what the comparison needs.
struct BaselineFinding {
  std::string uid;
  std::string rule_id;
  std::string title;
  std::string resource_id;
  std::string resource_type;
  std::string resource_name;
  std::string account;
  model::Status status = model::Status::kPass;
  model::Severity severity = model::Severity::kInformational;
  // When it was first seen: its own first_seen_at when the earlier output had a baseline, else
  // that output's time.
  std::chrono::system_clock::time_point first_seen;
  core::SourceLocation where;  // in the baseline file
};

// A baseline finding gone from this scan as a finding, for the writers that report it in their
// own shape (an archived ASFF finding, an OCSF Close event): what the baseline said of it (status
// as it was), provider aws, and a message saying it is no longer reported.
model::Finding GoneFinding(const BaselineFinding& b);

struct Baseline {
  std::string format;  // "json", "jsonl", "ocsf" or "sarif"
  // False for SARIF, which lists no PASS (nor ERROR) finding: a finding not open now and absent
  // from such a baseline is UNCHANGED, not NEW (it was most likely a PASS).
  bool lists_passing = true;
  std::vector<BaselineFinding> findings;
};

// The baseline, or the diagnostics (code baseline_error, with file:line:col for text that is not
// JSON and file#/pointer for JSON of the wrong shape) that refuse it. `file` names it.
struct BaselineRead {
  Baseline baseline;
  core::Diagnostics diagnostics;
};
BaselineRead ReadBaseline(std::string_view text, std::string_view file);

struct BaselineCounts {
  std::int64_t new_findings = 0;
  std::int64_t unchanged = 0;
  std::int64_t updated = 0;
  std::int64_t resolved = 0;
  // Open in the baseline, gone from this scan, but outside its coverage: not called resolved.
  std::int64_t not_covered = 0;
};

// A scan compared with a baseline. Classify is a pure lookup; a writer calls Record for each
// finding it is given and Gone once at the end. Not thread-safe.
class BaselineComparison {
 public:
  explicit BaselineComparison(Baseline baseline);

  struct Mark {
    BaselineState state = BaselineState::kNone;
    std::chrono::system_clock::time_point first_seen;  // `now` for a finding not seen before
    std::string uid;  // the finding's uid (FindingUid), computed once for the writer to reuse
  };
  Mark Classify(const model::Finding& finding, std::chrono::system_clock::time_point now) const;
  // Classify, and remembers the uid as seen and the state in counts().
  Mark Record(const model::Finding& finding, std::chrono::system_clock::time_point now);

  // A resource this scan could not evaluate (an ERROR finding's, an unreadable entry's): its
  // earlier findings are not resolved by being gone. An empty id (a problem whose resource is
  // unknown) means nothing gone is resolved.
  void MarkUnevaluated(std::string_view resource_id);

  // The baseline's open findings that this scan did not report, and that it covered: their
  // account, rule and resource type are in `summary`, and their resource did not fail to
  // evaluate. Counted in counts() (resolved, or not_covered for the others).
  std::vector<const BaselineFinding*> Gone(const model::ScanSummary& summary);

  const BaselineCounts& counts() const { return counts_; }
  const Baseline& baseline() const { return baseline_; }

 private:
  Mark Classify(std::string uid, const model::Finding& finding,
                std::chrono::system_clock::time_point now) const;

  Baseline baseline_;
  std::unordered_map<std::string, std::size_t> by_uid_;
  std::set<std::string, std::less<>> seen_;
  std::set<std::string, std::less<>> unevaluated_;
  bool unknown_unevaluated_ = false;
  BaselineCounts counts_;
};

}  // namespace kmsguard::render
