// Streams N synthetic findings (about the size of real KMS findings, with remediation text)
// through one format's FindingWriter into /dev/null: the figure to watch with /usr/bin/time -v
// (peak RSS) for any number of findings and memory budget.
//   render_writer FORMAT N [BUDGET_BYTES]
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "sdk/render/render.h"

namespace {

kmsguard::model::Finding SyntheticFinding(std::size_t i) {
  using kmsguard::model::Status;
  kmsguard::model::Finding f;
  f.rule_id =
      i % 3 == 0 ? "aws-iam-managed-kms-decrypt-all-keys" : "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title =
      "IAM principals should not have IAM inline policies that allow decryption actions on "
      "all KMS keys";
  f.severity = static_cast<kmsguard::model::Severity>(i % 5);
  f.status = i % 4 == 0 ? Status::kFail : Status::kPass;
  const std::string name = absl::StrCat("role-", i);
  f.account = absl::StrCat(111122220000 + i % 50);
  f.resource_id = absl::StrCat("arn:aws:iam::", f.account, ":role/", name);
  f.resource_type = "AWS::IAM::Role";
  f.resource_name = name;
  f.partition = "aws";
  f.message = absl::StrCat("role ", name, " allows kms:Decrypt on all KMS keys.");
  f.remediation.summary = absl::StrCat("Scope the policy of ", name, " to the keys it needs.");
  f.remediation.console = std::string(300, 'c');
  f.remediation.cli = std::string(400, 'a');
  f.remediation.terraform = std::string(500, 't');
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  kmsguard::model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.effect = "Allow";
  e.actions = {"kms:Decrypt", "kms:ReEncryptFrom"};
  e.action_patterns = {"kms:*"};
  e.resource_patterns = {"*"};
  f.evidence = {e};
  f.source.file = "export.json";
  f.source.json_pointer = absl::StrCat("/RoleDetailList/", i);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: render_writer FORMAT N [BUDGET_BYTES]\n";
    return 2;
  }
  const kmsguard::render::Renderer* renderer = kmsguard::render::FindRenderer(argv[1]);
  if (renderer == nullptr) {
    std::cerr << "unknown format " << argv[1] << "\n";
    return 2;
  }
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  kmsguard::render::RenderOptions options;
  if (argc == 4) options.memory_budget_bytes = std::strtoull(argv[3], nullptr, 10);
  std::ofstream out("/dev/null", std::ios::binary);
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<kmsguard::render::FindingWriter> writer = renderer->open(out, options);
  kmsguard::model::ScanSummary summary;
  for (std::size_t i = 0; i < n; ++i) writer->Write(SyntheticFinding(i));
  const absl::Status status = writer->Finish(summary);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << renderer->name << " findings " << n << " seconds " << seconds << " status " << status
            << "\n";
  return status.ok() ? 0 : 1;
}
