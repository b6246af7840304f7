// Independent TOTP peer for otp's interop tests: parses a Key URI with the
// otpauth npm package (9.5.2, from /work/main/interop) and generates codes.
// Usage: node otpauth.cjs <interop dir> < {"uri": "...", "times": [unix seconds...]}
// Prints {"issuer","label","secret","algorithm","digits","period","codes":[...]}.
"use strict";
const path = require("path");
const { createRequire } = require("module");
const OTPAuth = createRequire(path.resolve(process.argv[2], "package.json"))("otpauth");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  const otp = OTPAuth.URI.parse(req.uri);
  const out = {
    issuer: otp.issuer,
    label: otp.label,
    secret: otp.secret.base32,
    algorithm: otp.algorithm,
    digits: otp.digits,
    period: otp.period,
    codes: req.times.map((t) => otp.generate({ timestamp: t * 1000 })),
  };
  process.stdout.write(JSON.stringify(out));
});
