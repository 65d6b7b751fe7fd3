// Runs @cloud-copilot/iam-simulate over the inline policies of a generated authorization-details
// export (tests/bench/gen_snapshot) asking the question kmsguard answers: can this principal
// kms:Decrypt an arbitrary key? One simulation per inline policy, the policy as the principal's
// only identity policy and the default key policy as the resource policy. Prints policies per
// second (wall clock, and per CPU second, which a loaded machine disturbs less) at the end.
//   npm install --prefix tests/bench/peers      (once; the version is pinned in package.json)
//   node tests/bench/peers/iam_simulate_bench.mjs snapshot.json [seconds]
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const [file, secondsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: iam_simulate_bench.mjs SNAPSHOT.json [seconds (default 10)]');
  process.exit(2);
}
const budgetMs = 1000 * Number(secondsArg ?? 10);
const snapshot = JSON.parse(readFileSync(file, 'utf8'));

const lists = [
  ['UserDetailList', 'UserPolicyList'],
  ['GroupDetailList', 'GroupPolicyList'],
  ['RoleDetailList', 'RolePolicyList'],
];
const work = [];
for (const [list, policyList] of lists) {
  for (const principal of snapshot[list] ?? []) {
    for (const policy of principal[policyList] ?? []) {
      work.push({ principal: principal.Arn, name: policy.PolicyName, policy: policy.PolicyDocument });
    }
  }
}
if (work.length === 0) {
  console.error(`${file}: no inline policies`);
  process.exit(2);
}

const account = work[0].principal.split(':')[4];
const key = `arn:aws:kms:us-east-1:${account}:key/00000000-1111-2222-3333-444444444444`;
// KMS needs the key policy to allow too; the default key policy delegates to IAM, so the identity
// policy decides, which is the question asked.
const defaultKeyPolicy = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
};
let evaluated = 0;
let allowed = 0;
let errors = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
outer: while (true) {
  for (const item of work) {
    const result = await runSimulation(
      {
        identityPolicies: [{ name: item.name, policy: item.policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: defaultKeyPolicy,
        request: {
          principal: item.principal,
          action: 'kms:Decrypt',
          resource: { resource: key, accountId: account },
          contextVariables: {},
        },
      },
      {},
    );
    if (result.resultType === 'error') errors += 1;
    else if (result.overallResult === 'Allowed') allowed += 1;
    evaluated += 1;
    if ((evaluated & 63) === 0 && performance.now() - start > budgetMs) break outer;
  }
  if (performance.now() - start > budgetMs) break;
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`iam-simulate: ${evaluated} policies in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} s CPU) ` +
            `(${work.length} distinct; ${allowed} allowed, ${errors} errors)`);
console.log(`policies_per_cpu_s ${(evaluated / cpuSeconds).toFixed(0)}`);
console.log(`policies_per_s ${(evaluated / seconds).toFixed(0)}`);
