// Compares kmsguard's verdicts with @cloud-copilot/iam-simulate's, policy by policy: the oracle
// behind the residuals listed in docs/iam-semantics.md ("Checked against a simulator").
//
//   npm install --prefix tests/bench/peers      (once; the version is pinned in package.json)
//   B=build/tests/bench
//   $B/gen_snapshot --seed 7 --roles-only 1 --principals 10000 --policies-per-principal 1 > snap.json
//   build/plugin/kmsguard scan --format jsonl snap.json > findings.jsonl   (exit 1: FAILs found)
//   node tests/bench/peers/oracle_compare.mjs snap.json findings.jsonl
//
// Each role holds one inline policy, so the finding of the rule aws-iam-inline-kms-decrypt-all-keys
// for the role is the verdict on that policy. A simulator answers one request (this action, this
// key), not "every key", so the two are compared where each one is exact:
//  - FAIL (kmsguard: the policy reaches every key for an action): the simulator should allow that
//    action on every canary key, keys no generated policy names, in several real regions, two
//    accounts and both key id forms. When it allows only some, the FAIL is kmsguard's documented
//    reading of "an arbitrary key" (a Deny or NotResource removes some keys, every other one is
//    still reached; docs/iam-semantics.md); when it allows none, a residual.
//  - PASS (kmsguard: not every key): kmsguard names, for each action, a key the policy does not
//    reach ("e.g. arn:... is not reached"); the simulator must deny that very key. A PASS whose
//    canaries are all allowed is counted (the sample could not tell), not a residual.
// kmsguard reads a policy as Security Hub's KMS.2 does: a Condition does not clear an Allow, and a
// conditional Deny is set aside (docs/iam-semantics.md, points 3 and 4). The simulator is asked in
// that world: Allow statements lose their Condition, Deny statements with one are dropped. The key
// policy is the default one, which delegates to IAM, so the identity policy decides.
// Prints counts per category and up to 10 examples of each residual; always exits 0 (a report).
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const [snapshotFile, findingsFile] = process.argv.slice(2);
if (!snapshotFile || !findingsFile) {
  console.error('usage: oracle_compare.mjs SNAPSHOT.json FINDINGS.jsonl');
  process.exit(2);
}
const RULE = 'aws-iam-inline-kms-decrypt-all-keys';
const ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom'];

const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8'));
const findings = new Map();
for (const line of readFileSync(findingsFile, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const f = JSON.parse(line);
  if (f.rule_id === RULE) findings.set(f.resource_id, f);
}

const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
// The policy as kmsguard judges it, for the simulator (see the header).
function kms2World(document) {
  const statements = asList(document.Statement).flatMap((st) => {
    if (st.Effect === 'Deny') return st.Condition ? [] : [st];
    const { Condition, ...rest } = st;
    return [rest];
  });
  return { ...document, Statement: statements };
}

async function allowed(principal, account, policy, action, key) {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'p', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` },
                      Action: 'kms:*', Resource: '*' }],
      },
      request: { principal, action, resource: { resource: key, accountId: key.split(':')[4] },
                 contextVariables: {} },
    },
    {},
  );
  if (result.resultType === 'error') return 'error';
  return result.overallResult === 'Allowed';
}

const canaries = (account) => {
  const keys = [];
  for (const region of ['us-east-1', 'eu-west-3', 'ap-southeast-7', 'mx-central-1']) {
    for (const acct of [account, '444455556666']) {
      keys.push(`arn:aws:kms:${region}:${acct}:key/00000000-1111-2222-3333-444444444444`);
      keys.push(`arn:aws:kms:${region}:${acct}:key/mrk-00112233445566778899aabbccddeeff`);
    }
  }
  return keys;
};

const counts = {};
const examples = {};
const count = (category, example) => {
  counts[category] = (counts[category] ?? 0) + 1;
  if (example && (examples[category] ??= []).length < 10) examples[category].push(example);
};

const seen = new Set();  // distinct documents: a repeated one is compared once
for (const role of snapshot.RoleDetailList ?? []) {
  const inline = role.RolePolicyList ?? [];
  if (inline.length !== 1) continue;
  const document = inline[0].PolicyDocument;
  const text = JSON.stringify(document);
  if (seen.has(text)) continue;
  seen.add(text);
  const finding = findings.get(role.Arn);
  if (!finding) {
    count('no finding', { role: role.Arn });
    continue;
  }
  const status = finding.status.replace('STATUS_', '');
  if (status !== 'FAIL' && status !== 'PASS') {
    count(`kmsguard ${status}`, { role: role.Arn, message: finding.message });
    continue;
  }
  const account = role.Arn.split(':')[4];
  const policy = kms2World(document);
  const explanation = (finding.explanation ?? []).join('\n');
  if (status === 'FAIL') {
    // Per granted action: how many canaries the simulator allows. All: agreement. Some: the
    // documented "an arbitrary key" reading (a Deny or a NotResource takes some keys out, e.g.
    // those of the principal's own account, and every other key is still reached). None: a
    // residual.
    const granted = ACTIONS.filter((a) => explanation.includes(`${a} granted`));
    let worst = 'all';
    let example;
    for (const action of granted) {
      const keys = canaries(account);
      let yes = 0;
      let denied;
      for (const key of keys) {
        const verdict = await allowed(role.Arn, account, policy, action, key);
        if (verdict === true) yes += 1;
        else denied ??= { key, simulator: verdict };
      }
      const level = yes === keys.length ? 'all' : yes > 0 ? 'some' : 'none';
      if (level === 'none' || (level === 'some' && worst === 'all')) {
        worst = level;
        example = { policy: text, action, allowed: `${yes} of ${keys.length} canaries`, ...denied };
      }
    }
    if (worst === 'all') count('agree: FAIL, every canary allowed');
    else if (worst === 'some') count('documented: FAIL on "an arbitrary key", some canaries excluded', example);
    else count('residual: kmsguard FAIL, simulator denies every canary', example);
    continue;
  }
  // PASS: each action's counterexample must be denied.
  let agrees = true;
  let checked = 0;
  for (const action of ACTIONS) {
    const match = explanation.match(
      new RegExp(`${action} not granted: [^\\n]*?e\\.g\\. (arn:\\S+) is not reached`));
    if (!match) continue;
    checked += 1;
    const verdict = await allowed(role.Arn, account, policy, action, match[1]);
    if (verdict !== false) {
      agrees = false;
      count('residual: kmsguard PASS, simulator allows its counterexample',
            { policy: text, action, key: match[1], simulator: verdict });
    }
  }
  if (!agrees) continue;
  count(checked > 0 ? 'agree: PASS, counterexample denied' : 'agree: PASS, no action allowed on a key');
  let allAllowed = true;
  for (const key of canaries(account)) {
    if ((await allowed(role.Arn, account, policy, 'kms:Decrypt', key)) !== true) {
      allAllowed = false;
      break;
    }
  }
  if (allAllowed) count('PASS whose kms:Decrypt canaries are all allowed (sample cannot tell)', { policy: text });
}

console.log(`${snapshotFile}: ${seen.size} distinct policies compared`);
for (const [category, n] of Object.entries(counts).sort()) console.log(`${String(n).padStart(7)}  ${category}`);
for (const [category, list] of Object.entries(examples)) {
  if (category.startsWith('agree')) continue;
  console.log(`\n${category}:`);
  for (const e of list) console.log(`  ${JSON.stringify(e)}`);
}
