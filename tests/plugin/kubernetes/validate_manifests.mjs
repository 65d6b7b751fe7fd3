// Validates every document of the given Kubernetes manifests against the API schemas that
// kubernetes-models ships (generated from the Kubernetes OpenAPI spec): field types, required
// fields and enums of each kind. Exit 0 when all are valid, 1 with every problem listed, 77 when
// the packages are not installed (npm ci in this directory).
import { readFileSync } from "node:fs";

let parseAllDocuments, models;
try {
  ({ parseAllDocuments } = await import("yaml"));
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
    try {
      new Model(value).validate();
      ++checked;
    } catch (error) {
      console.error(`${where} (${value.kind} ${value.metadata?.name}): ${error.message}`);
      ++problems;
    }
  });
}
console.log(`${checked} object(s) valid, ${problems} problem(s)`);
process.exit(problems === 0 && checked > 0 ? 0 : 1);
