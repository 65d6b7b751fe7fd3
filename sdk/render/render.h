// Renderers: findings -> text. Two forms of each format: a FindingWriter that takes findings one
// at a time and writes to a stream (what `kmsguard scan` uses, so a scan's output is never held
// whole), and a pure function over a vector that returns the same text (tests, small callers).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"

namespace kmsguard::render {

class BaselineComparison;  // baseline.h

struct ProductInfo {
  std::string name = "kmsguard";
  std::string version;
};

struct TableOptions {
  bool show_pass = false;  // list PASS findings too (they are always counted)
  bool explain = false;    // print each listed finding's explanation lines under it
  // The line width to fit (a terminal's columns); 0: unlimited, nothing cut or wrapped (`scan
  // --wide`). Names (rule, principal, policy) too wide are cut in the middle, keeping their
  // distinguishing end; the grant or message wraps, under the row when it has no room beside it.
  std::size_t width = 0;
};

// A terminal table: severity, status, rule, principal, policy, what is granted; under a FAIL or
// WARNING, who holds the grant ("exposed: ..."); with `explain`, the finding's explanation lines;
// then counts. Fitted to `options.width` (see TableOptions).
std::string RenderTable(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const TableOptions& options);
std::string RenderTable(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, bool show_pass = false);

// What produced a scan, for a reader of the report: the HTML report's "Scan context" states it
// (issue 18); the other formats ignore it. Filled by `kmsguard scan`; left empty, the page says
// only what the findings and the summary carry (rule ids and versions, accounts, coverage).
struct ScanContext {
  // The files scanned, as named on the command line ("-": standard input).
  std::vector<std::string> inputs;
  // One loaded rule: where it came from (a built-in rule file's name, or the path of a --rules
  // file) and what it is.
  struct Rule {
    std::string id;
    std::string version;
    std::string file;
    std::size_t exceptions = 0;  // rule exceptions in force (its own and overrides')
  };
  std::vector<Rule> rules;
  // The rule set's identity (the plugin's rules version: a digest of every rule file and
  // override); empty when unknown.
  std::string rules_version;
  // Files whose `kind: Override` documents or rule exceptions are in force, in load order.
  std::vector<std::string> override_files;
  // Where the rules were loaded when the host did not load them itself (`scan --plugin`: the
  // replicas' own rules), one line; empty otherwise.
  std::string rules_note;
};

// Everything a renderer may need besides the findings and the summary.
struct RenderOptions {
  ProductInfo product;
  // The scan time the output states (OCSF time, ASFF CreatedAt/UpdatedAt, SARIF invocation end,
  // the JSON and HTML "generated" stamps). Set it to make output reproducible (tests, goldens).
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  TableOptions table;
  // ASFF: the Security Hub region that imports the findings (ProductArn), also the Region of a
  // resource that has none (IAM is global). `kmsguard scan` takes it from AWS_REGION.
  std::string aws_region = "us-east-1";
  // ASFF: the 12-digit account of findings whose resource names none (Terraform plans and
  // CloudFormation templates before deployment). Empty: such findings are left out of the ASFF
  // array (AwsAccountId is required) and the writer's notices() say how many.
  std::string aws_account_id;
  // SARIF: the most results one run holds (GitHub code scanning refuses more than 25,000 per run);
  // past it the most severe are kept and the rest are counted (sarif.cc).
  std::size_t sarif_max_results = 25000;
  // Writers whose format puts counts or sorted rows before the findings (table, HTML, SARIF) keep
  // at most about this many bytes of findings in memory and spill the rest to temporary files
  // (unlinked files in $TMPDIR, or /tmp). Tests set it small to force spilling.
  std::size_t memory_budget_bytes = 32 * 1024 * 1024;
  // `scan --baseline`: the earlier scan this one is compared with (baseline.h). Null: no
  // comparison, and every format's output is exactly what it is without one. The writer records
  // each finding in it; the caller may mark resources it could not evaluate before Finish.
  std::shared_ptr<BaselineComparison> baseline;
  // HTML: what produced the scan (inputs, rules, overrides), stated at the top of the page.
  ScanContext context;
  // Whether outputs show the severity the rule states and each change to it (an override, a
  // raise by exposure): JSON/JSONL `rule_severity` and `severity_changes`, OCSF `unmapped`, SARIF
  // `ruleSeverity`/`severityChanges`, ASFF `Severity.Original` and `kmsguard/RuleSeverity`, the
  // HTML tag and section, the table's `severity:` line. False (`kmsguard scan
  // --no-severity-trace`) writes every format byte for byte as before the trace existed: the
  // effective severity only (docs/findings.md, "Severity").
  bool severity_trace = true;
};

// Takes a scan's findings one at a time and writes one format to an std::ostream. Call Write for
// each finding (in the order the scan produced them), then Finish once with the scan's summary.
// The text written is byte for byte what the format's Render function returns for the same
// findings, whatever the memory budget. Not thread-safe.
class FindingWriter {
 public:
  virtual ~FindingWriter() = default;
  virtual void Write(const model::Finding& finding) = 0;
  // Write, for a finding the caller no longer needs: the writers that keep findings until Finish
  // (table, HTML, SARIF) move it into their spool instead of copying every string of it.
  virtual void Take(model::Finding&& finding) { Write(finding); }
  // Writes the rest of the output. Returns Internal when a temporary file could not be written or
  // read back, or the stream failed: the output is then incomplete.
  virtual absl::Status Finish(const model::ScanSummary& summary) = 0;
  // After Finish: what the format could not hold and was left out or cut, one sentence each, for
  // the user (stderr); empty when the output holds every finding it was given.
  virtual std::vector<std::string> notices() const { return {}; }
};

// A JSON array of OCSF 1.5 Compliance Finding objects (class_uid 2003), one per finding.
std::string RenderOcsf(const std::vector<model::Finding>& findings, const ProductInfo& product);
std::string RenderOcsf(const std::vector<model::Finding>& findings, const RenderOptions& options);

// kmsguard's own JSON: {"format", "generated_at", "tool", "findings": [...], "summary": {...}}.
// Each finding object is the proto3 JSON mapping of kmsguard.plugin.v1.Finding with the proto's
// field names (the model's, snake_case) and enum value names (SEVERITY_MEDIUM, STATUS_FAIL),
// every field present, plus "uid" (FindingUid). docs/findings.md describes it.
std::string RenderJson(const std::vector<model::Finding>& findings,
                       const model::ScanSummary& summary, const RenderOptions& options);

// JSON Lines for streaming: one finding object (as in RenderJson) per line, then one line
// {"summary": {...}, "generated_at", "tool"}.
std::string RenderJsonLines(const std::vector<model::Finding>& findings,
                            const model::ScanSummary& summary, const RenderOptions& options);

// A JSON array of AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08) findings, ready
// for Security Hub BatchImportFindings in batches of at most 100 (the caller splits the array).
// Findings whose account is not a 12-digit AWS account id are left out: ASFF requires one.
std::string RenderAsff(const std::vector<model::Finding>& findings, const RenderOptions& options);

// A SARIF 2.1.0 log: one run, the rules in tool.driver.rules, FAIL and WARNING findings as results
// (level by severity: critical/high error, medium warning, low/informational note; a WARNING at
// most warning), ERROR findings as tool execution notifications; PASS findings are counted in
// run.properties but not listed (code-scanning hosts would show them as alerts).
std::string RenderSarif(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const RenderOptions& options);

// One self-contained HTML page (inline CSS and JavaScript, no network): counts by status and
// severity, account and rule; a sortable, filterable table; each finding's evidence and
// remediation. All text is escaped.
std::string RenderHtml(const std::vector<model::Finding>& findings,
                       const model::ScanSummary& summary, const RenderOptions& options);

// The output formats, registered in one table (render/registry.cc) that `kmsguard scan --format`
// and its help text read.
struct Renderer {
  std::string_view name;         // "table", "json", ...
  std::string_view description;  // one line
  std::string (*render)(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const RenderOptions& options);
  // A writer for the same format; `out` must outlive it.
  std::unique_ptr<FindingWriter> (*open)(std::ostream& out, const RenderOptions& options);
};

// The writer of each format (see FindingWriter); `out` must outlive the writer.
std::unique_ptr<FindingWriter> OpenTableWriter(std::ostream& out, const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenJsonWriter(std::ostream& out, const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenJsonLinesWriter(std::ostream& out,
                                                   const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenOcsfWriter(std::ostream& out, const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenAsffWriter(std::ostream& out, const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenSarifWriter(std::ostream& out, const RenderOptions& options);
std::unique_ptr<FindingWriter> OpenHtmlWriter(std::ostream& out, const RenderOptions& options);
const std::vector<Renderer>& Renderers();
// The renderer called `name`, or nullptr.
const Renderer* FindRenderer(std::string_view name);
// Every renderer's name, in registration order ("table" first: the default).
std::vector<std::string> RendererNames();

// A finding's stable identity: 32 hex digits (128 bits) of SHA-256 over rule id, provider,
// partition, account, region, resource id and sub-key, each length-prefixed (a Google Cloud
// finding's account written empty: its resource id names the project). The same finding gets
// the same id in every scan, whatever its status, severity or message; OCSF finding_info.uid.
std::string FindingUid(const model::Finding& finding);

}  // namespace kmsguard::render
