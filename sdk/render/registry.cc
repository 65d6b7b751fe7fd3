// The one place renderers are registered: explicit entries, no static initialisers.
#include <string>
#include <vector>

#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

std::string Table(const std::vector<model::Finding>& findings, const model::ScanSummary& summary,
                  const RenderOptions& options) {
  // All the options, not only the table's: severity_trace applies to the table too.
  return internal::RenderThroughWriter(&OpenTableWriter, findings, summary, options);
}

std::string Ocsf(const std::vector<model::Finding>& findings, const model::ScanSummary&,
                 const RenderOptions& options) {
  return RenderOcsf(findings, options);
}

std::string Asff(const std::vector<model::Finding>& findings, const model::ScanSummary&,
                 const RenderOptions& options) {
  return RenderAsff(findings, options);
}

}  // namespace

const std::vector<Renderer>& Renderers() {
  static const auto* const kRenderers = new std::vector<Renderer>{
      {"table", "aligned columns for a terminal (default)", &Table, &OpenTableWriter},
      {"json", "kmsguard's own JSON: findings (proto JSON mapping) and the scan summary",
       &RenderJson, &OpenJsonWriter},
      {"jsonl", "JSON Lines: one finding per line, then a summary line", &RenderJsonLines, &OpenJsonLinesWriter},
      {"ocsf", "OCSF 1.5.0 Compliance Finding events (class_uid 2003), a JSON array", &Ocsf, &OpenOcsfWriter},
      {"asff", "AWS Security Finding Format for Security Hub BatchImportFindings, a JSON array",
       &Asff, &OpenAsffWriter},
      {"sarif", "SARIF 2.1.0 log for code scanning", &RenderSarif, &OpenSarifWriter},
      {"html", "one self-contained HTML report", &RenderHtml, &OpenHtmlWriter},
  };
  return *kRenderers;
}

const Renderer* FindRenderer(std::string_view name) {
  for (const Renderer& renderer : Renderers()) {
    if (renderer.name == name) return &renderer;
  }
  return nullptr;
}

std::vector<std::string> RendererNames() {
  std::vector<std::string> names;
  for (const Renderer& renderer : Renderers()) names.emplace_back(renderer.name);
  return names;
}

}  // namespace kmsguard::render
