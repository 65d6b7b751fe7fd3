// Step 1 of `kmsguard scan` and what the scan sends: each FILE opened once and its first bytes
// judged (plugin/input_file.h); an authorization-details export kept open and streamed while the
// scan runs, any other format read whole up front; the same resource in two inputs kept once.
// Problems go to stderr as `file#/pointer: error: message [code]`, never stopping the others.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "plugin/input_file.h"
#include "plugin/scan_progress.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/client/plugin_client.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::plugin {

// The first 128 bits of SHA-256 over "type id": a resource's identity in the index of resources
// already read, 16 bytes however long its ARN (a chance collision is not a practical concern).
using ResourceKey = std::array<std::uint8_t, 16>;

// Authorization-details exports are streamed from their files while the scan runs (they can be
// hundreds of MB); every other input is read whole up front.
struct Inputs {
  std::vector<std::string> files;              // as given; `first_seen` refers to them by index
  // Of each file: the resource a `get-iam-policy` output is attached to (--gcp-policy), or "".
  std::vector<std::string> attached_to;
  std::vector<adapters::InputFormat> formats;  // of each file, as detected (kAuto: unknown)
  std::vector<model::Resource> resources;
  std::vector<std::size_t> streamed_files;          // indexes into `files`
  std::vector<std::unique_ptr<InputFile>> streams;  // the open streamed files, by index
  int problems = 0;  // written by the scan's writer thread too, read after it is joined
  // Every resource kept: the file it was read from and a digest of its document (to tell a
  // repeated copy from a different one), 28 bytes per resource, so that an export of
  // hundreds of thousands of principals stays small.
  struct FirstCopy {
    std::uint32_t file;
    std::array<std::uint8_t, 8> content;
  };
  absl::flat_hash_map<ResourceKey, FirstCopy> first_seen;
};

// `gcloud … get-iam-policy --format=json` output in `file`, attached to `resource` (a relative or
// Cloud Asset Inventory full name of an organization, folder, project, key ring or key).
struct AttachedPolicy {
  std::string resource;
  std::string file;
};

// Reads `files` ("-" is standard input, named <stdin>): resources of whole-read formats into
// `resources`, exports into `streams` for ProduceResources; `format` kAuto detects each file's.
// Then each of `policies` (after `files`, under the same rules: read once, gzip, the size limit,
// "-" once), through adapters::ReadGcloudIamPolicy. Every problem is reported (ReportProblem)
// and counted in `problems`; never fails.
Inputs ReadInputs(const std::vector<std::string>& files, adapters::InputFormat format,
                  const adapters::CloudFormationParameters& parameters, std::size_t max_whole_bytes,
                  const std::vector<AttachedPolicy>& policies = {});

// Reads a --gcp-policy value, RESOURCE=FILE (split at the first "="). An error message (empty when
// it is valid): RESOURCE must name an organization, folder, project, key ring or key.
std::string ParseAttachedPolicy(std::string_view value, AttachedPolicy* out);

// Sends what ReadInputs read, then streams each export (on the scan's writer thread), counting
// bytes and resources on `progress`; stops when `send` says the scan failed.
void ProduceResources(Inputs& inputs, ScanProgress& progress,
                      const client::PluginClient::Send& send);

// A problem of the scan on stderr (through `progress` while one is drawn: see
// ReportProblemsThrough), with the source line under it when `source_text` holds it.
void ReportProblem(const core::Diagnostic& diagnostic, std::string_view source_text = {});
void ReportProblem(std::string code, std::string message, core::SourceLocation location);

// Problems go through `progress` from now on (nullptr: straight to stderr again). One scan per
// process: RunScan sets it for the scan's duration.
void ReportProblemsThrough(ScanProgress* progress);

}  // namespace kmsguard::plugin
