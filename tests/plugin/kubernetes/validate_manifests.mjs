// Validates every document of the given Kubernetes manifests against the API schemas that
// kubernetes-models ships (generated from the Kubernetes OpenAPI spec): field types, required
// fields and enums of each kind. Those schemas accept fields they do not know (a misspelt
// `readinessProbes` passed), so each document is also type-checked as an object literal of its
// kind's interface from the same package, where TypeScript refuses properties the type does not
// declare. Exit 0 when all are valid, 1 with every problem listed, 77 when the packages are not
// installed (npm install in this directory).
import { readFileSync, writeFileSync } from "node:fs";

let parseAllDocuments, models, ts;
try {
  ({ parseAllDocuments } = await import("yaml"));
  ts = (await import("typescript")).default;
  models = {
    "v1/ConfigMap": (await import("kubernetes-models/v1/ConfigMap")).ConfigMap,
    "v1/Secret": (await import("kubernetes-models/v1/Secret")).Secret,
    "v1/Service": (await import("kubernetes-models/v1/Service")).Service,
    "apps/v1/Deployment": (await import("kubernetes-models/apps/v1/Deployment")).Deployment,
    "autoscaling/v2/HorizontalPodAutoscaler":
        (await import("kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler"))
            .HorizontalPodAutoscaler,
    "policy/v1/PodDisruptionBudget":
        (await import("kubernetes-models/policy/v1/PodDisruptionBudget")).PodDisruptionBudget,
    "networking.k8s.io/v1/NetworkPolicy":
        (await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy")).NetworkPolicy,
  };
} catch (error) {
  console.error(`skipped: kubernetes-models not installed (${error.message})`);
  process.exit(77);
}

// The module and interface of each kind's type in kubernetes-models.
const types = {
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "IConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "ISecret"],
  "v1/Service": ["kubernetes-models/v1/Service", "IService"],
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "IDeployment"],
  "autoscaling/v2/HorizontalPodAutoscaler":
      ["kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler", "IHorizontalPodAutoscaler"],
  "policy/v1/PodDisruptionBudget":
      ["kubernetes-models/policy/v1/PodDisruptionBudget", "IPodDisruptionBudget"],
  "networking.k8s.io/v1/NetworkPolicy":
      ["kubernetes-models/networking.k8s.io/v1/NetworkPolicy", "INetworkPolicy"],
};
const literals = [];  // {where, type, value} of each document, for the TypeScript check

let problems = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  documents.forEach((document, index) => {
    const where = `${file} document ${index + 1}`;
    if (document.errors.length > 0) {
      console.error(`${where}: YAML: ${document.errors[0].message}`);
      ++problems;
      return;
    }
    const value = document.toJS();
    if (value === null) return;
    const Model = models[`${value.apiVersion}/${value.kind}`];
    if (Model === undefined) {
      console.error(`${where}: no schema here for ${value.apiVersion} ${value.kind}`);
      ++problems;
      return;
    }
    literals.push({ where: `${where} (${value.kind} ${value.metadata?.name})`,
                    type: types[`${value.apiVersion}/${value.kind}`], value });
    try {
      new Model(value).validate();
      ++checked;
    } catch (error) {
      console.error(`${where} (${value.kind} ${value.metadata?.name}): ${error.message}`);
      ++problems;
    }
  });
}
// Unknown fields: one `const dN: TN = {...};` per document, on lines of its own.
const source = literals.map(
    ({ type }, index) => `import type { ${type[1]} as T${index} } from "${type[0]}";`);
const starts = [];  // the first line of each document's literal
literals.forEach(({ value }, index) => {
  starts.push(source.length);
  source.push(...`export const d${index}: T${index} = ${JSON.stringify(value, null, 1)};`
                     .split("\n"));
});
writeFileSync("manifests.check.ts", source.join("\n") + "\n");
const program = ts.createProgram(["manifests.check.ts"], {
  noEmit: true, strict: true, skipLibCheck: true, types: [],
  module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
});
for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
  let where = "manifests.check.ts";
  if (diagnostic.file !== undefined && diagnostic.start !== undefined) {
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const index = starts.findLastIndex((start) => start <= line);
    if (index >= 0) where = literals[index].where;
  }
  console.error(`${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`);
  ++problems;
}

console.log(`${checked} object(s) valid, ${problems} problem(s)`);
process.exit(problems === 0 && checked > 0 ? 0 : 1);
