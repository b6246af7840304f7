// check.js — the Auth0 side of the differential test
// password/sheriff_test.go: auth0-password-policies' createRulesFromOptions
// turns each Auth0 complexity object into password-sheriff rules, and
// every rule's own assert judges every password.
//
// stdin: {"policies": [complexity, …], "cases": [{"policy": i, "password": s}, …]}
// stdout: a JSON array, one object per case in order, mapping each rule
// the policy has (length, contains, containsAtLeast, identicalChars,
// sequentialChars, maxLength) to whether the password passes it, plus
// "ok", the verdict of PasswordPolicy.check.
'use strict';
const { PasswordPolicy } = require('password-sheriff');
const { createRulesFromOptions } = require('auth0-password-policies');

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const policies = input.policies.map((p) => {
    const rules = createRulesFromOptions(p);
    return { rules, policy: new PasswordPolicy(rules) };
  });
  const out = input.cases.map((c) => {
    const { rules, policy } = policies[c.policy];
    const r = { ok: policy.check(c.password) };
    for (const name of Object.keys(rules)) {
      r[name] = policy.ruleset[name].assert(rules[name], c.password);
    }
    return r;
  });
  process.stdout.write(JSON.stringify(out));
});
