// Helpers shared by the renderers (not part of the public render API).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/model/finding.h"
#include "sdk/render/render.h"

namespace kmsguard::render::internal {

// "2024-05-01T12:00:00.000Z": ISO 8601 / RFC 3339 in UTC with milliseconds, the form ASFF,
// SARIF and people all read.
std::string Iso8601(std::chrono::system_clock::time_point time);

// Milliseconds since the Unix epoch (OCSF timestamp_t).
std::int64_t EpochMillis(std::chrono::system_clock::time_point time);

// At most `max_chars` characters (Unicode code points, as the AWS length limits count them) of
// `text`; a cut text ends in "..." within the limit. Never splits a UTF-8 sequence.
std::string Truncate(std::string_view text, std::size_t max_chars);

// The reference page of a compliance control when kmsguard knows where it is: AWS Foundational
// Security Best Practices controls ("KMS.2") link to the Security Hub control reference.
// Empty otherwise.
std::string ControlUrl(const model::ComplianceRef& ref);

// The first non-empty ControlUrl of the finding's compliance references, or "".
std::string FirstControlUrl(const std::vector<model::ComplianceRef>& compliance);

// "role/app": the principal kind (lowercase last part of the type) and its name (or the id).
std::string PrincipalLabel(const model::Finding& finding);

// The policies a finding's evidence names, first-seen order.
std::vector<std::string> PolicyNames(const model::Finding& finding);

// One line for an evidence entry, e.g. `app-kms-full statement 0 "Sid": Allow kms:Decrypt
// (Action ["kms:*"]) on Resource ["*"]: <note>`.
std::string EvidenceLine(const model::Evidence& evidence);

// How a reader names a finding's cloud: "AWS" (aws, or no provider), "Google Cloud" (gcp),
// "Azure" (azure), else the provider as written.
std::string CloudName(std::string_view provider);

// The heading of a remediation's command-line part for the finding's cloud: "AWS CLI" (aws, or
// no provider), "gcloud CLI" (gcp), "Azure CLI" (azure), else "CLI".
const char* CliTitle(const model::Finding& finding);

// The summary, console, CLI and Terraform parts of a finding's remediation as one text with
// headings.
std::string RemediationText(const model::Finding& finding);

// Worst first, the order the table and the HTML report list findings in: FAIL 0, ERROR 1,
// WARNING 2, PASS and SUPPRESSED 3.
int StatusRank(model::Status status);
// By StatusRank, then severity (highest first), then resource id: what needs action leads.
bool WorstFirst(const model::Finding& a, const model::Finding& b);

// A Render function in terms of the format's writer, so each format has one implementation. The
// findings are in memory already, so the writer gets no memory budget: nothing spills, and Finish
// cannot fail.
// Every Open*Writer returns its writer through this: with options.severity_trace off, the writer
// sees each finding without its severity changes (copied only for a finding that has some, which
// few have), so each format needs no test of its own for the option (render.h).
std::unique_ptr<FindingWriter> HonorSeverityTrace(std::unique_ptr<FindingWriter> writer,
                                                  const RenderOptions& options);

using OpenWriterFunction = std::unique_ptr<FindingWriter> (*)(std::ostream& out,
                                                              const RenderOptions& options);
std::string RenderThroughWriter(OpenWriterFunction open,
                                const std::vector<model::Finding>& findings,
                                const model::ScanSummary& summary, const RenderOptions& options);

}  // namespace kmsguard::render::internal
