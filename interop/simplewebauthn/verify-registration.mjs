// verify-registration.mjs — the @simplewebauthn/server side of the
// differential test passkey/differential_test.go (SECURITY-CHECKLIST FZ-05).
//
// stdin: a JSON array of cases
//   {name, response, expectedChallenge, expectedOrigin, expectedRPID,
//    requireUserVerification, supportedAlgorithmIDs}
// stdout: a JSON array of {name, verified, error}, one per case, in order.
// A case is accepted iff verifyRegistrationResponse resolves with
// verified === true; a throw or verified === false is a refusal.
import { verifyRegistrationResponse } from '@simplewebauthn/server';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const out = [];
for (const c of cases) {
  try {
    const res = await verifyRegistrationResponse({
      response: c.response,
      expectedChallenge: c.expectedChallenge,
      expectedOrigin: c.expectedOrigin,
      expectedRPID: c.expectedRPID,
      requireUserVerification: c.requireUserVerification,
      supportedAlgorithmIDs: c.supportedAlgorithmIDs,
    });
    out.push({ name: c.name, verified: res.verified === true, error: res.verified ? '' : 'verified: false' });
  } catch (e) {
    out.push({ name: c.name, verified: false, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify(out));
