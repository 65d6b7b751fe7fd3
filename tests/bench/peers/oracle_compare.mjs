// Oracle: compares kmsguard's verdicts of the rule aws-iam-inline-kms-decrypt-all-keys (Security
// Hub KMS.2) with @cloud-copilot/iam-simulate's answers, principal by principal, and prints the
// residuals (the disagreements) by category. A report, not a test: always exits 0.
//
//   npm install --prefix tests/bench/peers      (once; the version is pinned in package.json)
//   B=build/tests/bench
//   $B/gen_snapshot --seed 7 --roles-only 1 --principals 10000 --policies-per-principal 1 > snap.json
//   build/plugin/kmsguard scan --format jsonl snap.json > findings.jsonl   (exit 1: FAILs found)
//   node tests/bench/peers/oracle_compare.mjs snap.json findings.jsonl [--limit N] [--examples N]
// --limit N compares the first N principals only; --examples N lists N examples per category (20).
//
// Principals with exactly one inline policy are compared (others are counted as skipped), so the
// finding is the verdict on that one policy. A simulator answers one request (one action, one
// key), not "every key", so each verdict is checked where a sample can tell:
//  - every-key by sample: for kms:Decrypt and kms:ReEncryptFrom, the policy is simulated on 16
//    canary keys no generated policy names (4 launched regions, the principal's account and a
//    foreign one, a UUID and an mrk- key id); an action is every-key when all 16 are Allowed.
//  - FAIL agrees when some action is every-key by sample. When every action has some canaries
//    allowed and some denied, the FAIL is kmsguard's documented "arbitrary key" reading (a Deny or
//    NotResource takes some keys out, e.g. one account's; docs/iam-semantics.md, point 2);
//    when no canary is allowed, a residual (a possible false alarm).
//  - PASS, per action: a key its explanation names as left out ("e.g. the made-up key ARN is not
//    reached") must be denied; an action no Allow covers must be denied on every named key and every canary; an
//    action "allowed but an explicit Deny cancels it" must have some canary denied (a PASS whose
//    Deny leaves some canaries allowed is counted as a note). Otherwise a residual (possible miss).
//    A PASS with an action every-key by sample is counted too (the sample cannot tell).
//  - ERROR and WARNING findings are counted, not compared.
//
// Transformation: kmsguard judges in Security Hub's KMS.2 world (docs/iam-semantics.md, points 3
// and 4): a Condition on an Allow does not clear the finding, and a Deny with a Condition is set
// aside (conditional_deny: ignore). Asked as is, with an empty request context, the simulator
// would find every condition false: conditional Allows would grant nothing, which is not the
// question. So it is asked about the policy in kmsguard's world: Allow statements lose their
// Condition, Deny statements with a Condition are dropped. The resource policy is the default
// key policy (it trusts the principal's account root, so the identity policy decides).
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback;
};
const limit = option('--limit', Infinity);
const MAX_EXAMPLES = option('--examples', 20);
const [snapshotFile, findingsFile] = args;
if (!snapshotFile || !findingsFile || Number.isNaN(limit) || Number.isNaN(MAX_EXAMPLES)) {
  console.error('usage: oracle_compare.mjs SNAPSHOT.json FINDINGS.jsonl [--limit N] [--examples N (default 20)]');
  process.exit(2);
}
const RULE = 'aws-iam-inline-kms-decrypt-all-keys';
const ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom'];
const FOREIGN_ACCOUNT = '918273645012';
const REGIONS = ['us-east-1', 'eu-west-3', 'ap-southeast-7', 'mx-central-1'];
const KEY_IDS = ['5ca1ab1e-0b5e-4c0d-9e7a-00000000c0de', 'mrk-5ca1ab1e0b5e4c0d9e7a00000000c0de'];

const snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8'));
const findings = new Map();
for (const line of readFileSync(findingsFile, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const f = JSON.parse(line);
  if (f.rule_id === RULE) findings.set(f.resource_id, f);
}

const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
function kms2World(document) {  // see the header: the policy as kmsguard judges it
  if (typeof document === 'string') document = JSON.parse(document.startsWith('{') ? document : decodeURIComponent(document));
  const statements = asList(document.Statement).flatMap((st) => {
    if (st.Effect === 'Deny') return st.Condition ? [] : [st];
    const { Condition, ...rest } = st;
    return [rest];
  });
  return { ...document, Statement: statements };
}
const canaries = (account) =>
  REGIONS.flatMap((r) => [account, FOREIGN_ACCOUNT].flatMap((a) => KEY_IDS.map((id) => `arn:aws:kms:${r}:${a}:key/${id}`)));

// One simulation: 'Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied' or 'error: ...'.
const memo = new Map();       // verdicts, by policy id: a repeated document is simulated once
const policyIds = new Map();  // transformed document text -> small id, to keep the memo small
let simulations = 0;
async function simulate(principal, account, policy, policyText, action, key) {
  if (!policyIds.has(policyText)) policyIds.set(policyText, policyIds.size);
  const memoKey = `${account}|${action}|${key}|${policyIds.get(policyText)}`;
  if (memo.has(memoKey)) return memo.get(memoKey);
  const result = await runSimulation({
    identityPolicies: [{ name: 'p', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow',
                    Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
    },
    request: { principal, action, resource: { resource: key, accountId: key.split(':')[4] }, contextVariables: {} },
  }, {});
  simulations += 1;
  const verdict = result.resultType === 'error' ? `error: ${result.errors.message}` : result.overallResult;
  memo.set(memoKey, verdict);
  return verdict;
}
// Per action: how many canaries are Allowed, and the first one that is not.
async function canaryVerdicts(principal, account, policy, policyText) {
  const out = {};
  for (const action of ACTIONS) {
    const keys = canaries(account);
    let allowed = 0;
    let denied;
    let foreignDenied = false;
    for (const key of keys) {
      const v = await simulate(principal, account, policy, policyText, action, key);
      if (v === 'Allowed') allowed += 1;
      else {
        denied ??= { key, simulator: v };
        foreignDenied ||= key.split(':')[4] !== account;
      }
    }
    out[action] = { allowed, of: keys.length, everyKey: allowed === keys.length, denied, foreignDenied };
  }
  return out;
}

const counts = {};
const examples = {};
function count(category, example) {
  counts[category] = (counts[category] ?? 0) + 1;
  if (example && (examples[category] ??= []).length < MAX_EXAMPLES) examples[category].push(example);
}

const principals = [['UserDetailList', 'UserPolicyList'], ['GroupDetailList', 'GroupPolicyList'],
                    ['RoleDetailList', 'RolePolicyList']]
  .flatMap(([list, policies]) => (snapshot[list] ?? []).map((p) => ({ arn: p.Arn, inline: p[policies] ?? [] })));
let compared = 0;
for (const { arn, inline } of principals) {
  if (compared >= limit) break;
  if (inline.length !== 1) { count(`skipped: ${inline.length} inline policies`); continue; }
  compared += 1;
  const original = inline[0].PolicyDocument;
  const example = { principal: arn, policy: typeof original === 'string' ? original : JSON.stringify(original) };
  const finding = findings.get(arn);
  if (!finding) { count('no finding for the principal', example); continue; }
  const status = String(finding.status).replace('STATUS_', '');
  if (status !== 'FAIL' && status !== 'PASS') {
    count(`kmsguard ${status} (not compared)`, { ...example, reason: finding.message });
    continue;
  }
  let policy;
  try { policy = kms2World(original); } catch (e) {
    count('policy the script cannot read', { ...example, reason: String(e) });
    continue;
  }
  const policyText = JSON.stringify(policy);
  const account = arn.split(':')[4];
  const sample = await canaryVerdicts(arn, account, policy, policyText);
  const sampleText = ACTIONS.map((a) => `${a} ${sample[a].allowed}/${sample[a].of} canaries allowed` +
    (sample[a].denied ? ` (e.g. ${sample[a].denied.key}: ${sample[a].denied.simulator})` : '')).join('; ');
  const explanation = asList(finding.explanation).join('\n');

  if (status === 'FAIL') {
    if (ACTIONS.some((a) => sample[a].everyKey)) { count('agree: FAIL, some action every-key by sample'); continue; }
    // Split by shape, for the report: when, for some action, the only canaries denied are the
    // principal's own account's, the FAIL is the "arbitrary key" reading (every key outside one
    // account; docs/iam-semantics.md, point 2).
    const shape = ACTIONS.every((a) => sample[a].allowed === 0) ? 'no canary allowed'
      : ACTIONS.some((a) => sample[a].allowed > 0 && !sample[a].foreignDenied)
        ? 'some action: only own-account canaries denied' : 'other canaries denied';
    // Some canaries allowed: kmsguard's documented reading of "an arbitrary key" (a Deny or a
    // NotResource takes some keys out and every other one is still reached). None: a residual.
    count(shape === 'no canary allowed' ? 'residual: FAIL, no canary allowed'
                                        : `documented: FAIL on "an arbitrary key" (${shape})`,
          { ...example, reason: sampleText });
    continue;
  }
  // PASS. Per action, the explanation says why it is not granted on every key:
  //  - "e.g. the made-up key ARN is not reached": that key must be denied;
  //  - no Allow covers it ("no Allow statement covers", "no statement allows or denies"): nothing
  //    may be allowed, neither a named key nor a canary;
  //  - "an explicit Deny cancels it": what is left is not every key, so some canary must be denied.
  //    A Deny with NotResource cancels in kmsguard when it reaches keys outside its patterns, and
  //    leaves the keys inside allowed: Allow * with Deny NotResource (own account's keys) grants
  //    that account's keys only. Such PASSes are counted apart, not as residuals.
  const named = {};
  for (const m of explanation.matchAll(/(kms:\w+) not granted: [^\n]*?e\.g\. the made-up key (arn:\S+) is not reached/g)) {
    (named[m[1]] ??= new Set()).add(m[2]);
  }
  const allNamed = [...new Set(Object.values(named).flatMap((s) => [...s]))];
  const missed = [];
  const narrowed = [];
  for (const action of ACTIONS) {
    const cancelled = explanation.includes(`${action} not granted: ${action} is allowed but an explicit Deny cancels it`);
    for (const key of named[action] ? [...named[action]] : cancelled ? [] : allNamed) {
      const v = await simulate(arn, account, policy, policyText, action, key);
      if (v !== 'ExplicitlyDenied' && v !== 'ImplicitlyDenied') missed.push(`${action} on ${key}: ${v}`);
    }
    if (named[action]) continue;
    const { allowed: n, of, everyKey } = sample[action];
    if (cancelled ? everyKey : n > 0) missed.push(`${action}: ${cancelled ? 'a Deny cancels it' : 'not covered'}, yet ${n}/${of} canaries allowed`);
    else if (cancelled && n > 0) narrowed.push(`${action}: a Deny cancels it; ${n}/${of} canaries allowed (e.g. denied ${sample[action].denied.key})`);
  }
  if (missed.length > 0) {
    count('residual: PASS, the simulator allows what kmsguard says is not reached', { ...example, reason: missed.join('; ') });
    continue;
  }
  if (narrowed.length > 0) count('note: PASS, a Deny narrows the grant and leaves some canaries allowed', { ...example, reason: narrowed.join('; ') });
  else count(allNamed.length > 0 ? 'agree: PASS, counterexample denied' : 'agree: PASS, no key named, every canary denied');
  const everyKey = ACTIONS.filter((a) => sample[a].everyKey);
  if (everyKey.length > 0) {
    const verdicts = [];
    for (const a of everyKey) {
      for (const key of named[a] ?? []) verdicts.push(`${a} on ${key}: ${await simulate(arn, account, policy, policyText, a, key)}`);
    }
    count('sampling limit (also counted above): PASS, yet some action allowed on every canary',
          { ...example, reason: `${everyKey.join(', ')} allowed on all canaries; counterexample ${verdicts.join('; ')}` });
  }
}

console.log(`${snapshotFile}: ${compared} principals compared (one inline policy each), ` +
            `${policyIds.size} distinct, ${simulations} simulations, ${findings.size} findings of ${RULE}`);
console.log(`canaries: ${REGIONS.join(', ')} x accounts (own, ${FOREIGN_ACCOUNT}) x ids ${KEY_IDS.join(', ')}`);
for (const [category, n] of Object.entries(counts).sort()) console.log(`${String(n).padStart(7)}  ${category}`);
for (const [category, list] of Object.entries(examples).sort()) {
  if (category.startsWith('agree')) continue;
  console.log(`\n${category} (${counts[category]}; first ${list.length}):`);
  for (const e of list) console.log(`  ${e.principal}\n    policy: ${e.policy}\n    reason: ${e.reason ?? '-'}`);
}
process.exit(0);
