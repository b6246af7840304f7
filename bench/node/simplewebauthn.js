'use strict';

// bench/run's Node side of the passkey pair: @simplewebauthn/server's
// verifyRegistrationResponse of the registration Chromium made
// (bench/testdata/chromium-packed-es256.json, recorded by bench/capture),
// with the challenge, origin and RP ID of its ceremony, user verification
// required and ES256 offered: what verifykit's passkey engine and
// go-webauthn are asked on the same bytes. Every result is checked
// (verified, packed), so a failing run cannot pass for a fast one.
//
//   node bench/node/simplewebauthn.js [--warmup-ms N] [--min-ms N] [--runs N]
//
// Prints one JSON object: ns_per_op (median run), runs, versions.

const Fs = require('fs');
const Path = require('path');

const { measure, options } = require('./timing');

const interop = Path.join(__dirname, '..', '..', 'interop', 'node_modules');
const { verifyRegistrationResponse } = require(Path.join(interop, '@simplewebauthn', 'server'));
const version = require(Path.join(interop, '@simplewebauthn', 'server', 'package.json')).version;

const main = async () => {

    const rec = JSON.parse(Fs.readFileSync(Path.join(__dirname, '..', 'testdata', 'chromium-packed-es256.json'), 'utf8'));
    const op = async () => {

        const res = await verifyRegistrationResponse({
            response: rec.authn_response,
            expectedChallenge: rec.challenge,
            expectedOrigin: rec.origin,
            expectedRPID: rec.rp_id,
            requireUserVerification: true,
            supportedAlgorithmIDs: [-7]
        });

        if (!res.verified || res.registrationInfo.fmt !== 'packed') {
            throw new Error('registration not verified as packed: ' + JSON.stringify(res));
        }
    };

    const result = await measure(op, options(process.argv.slice(2)));
    result.name = 'simplewebauthn verifyRegistrationResponse';
    result.package = '@simplewebauthn/server@' + version;
    process.stdout.write(JSON.stringify(result) + '\n');
};

main().catch((err) => {

    console.error(err);
    process.exit(1);
});
