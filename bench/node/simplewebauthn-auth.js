'use strict';

// bench/run's Node side of the sign-in pair: @simplewebauthn/server's
// verifyAuthenticationResponse of the assertion Chromium made
// (bench/testdata/chromium-assertion-es256.json, recorded by bench/capture
// with the registration of chromium-packed-es256.json), with the
// challenge, origin and RP ID of its ceremony, user verification required,
// and the stored credential (id, COSE public key, counter): what
// verifykit's passkey engine and go-webauthn are asked on the same bytes.
// Every result is checked (verified, the counter advanced), so a failing
// run cannot pass for a fast one.
//
//   node bench/node/simplewebauthn-auth.js [--warmup-ms N] [--min-ms N] [--runs N]
//
// Prints one JSON object: ns_per_op (median run), runs, versions.

const Fs = require('fs');
const Path = require('path');

const { measure, options } = require('./timing');

const interop = Path.join(__dirname, '..', '..', 'interop', 'node_modules');
const { verifyAuthenticationResponse } = require(Path.join(interop, '@simplewebauthn', 'server'));
const version = require(Path.join(interop, '@simplewebauthn', 'server', 'package.json')).version;

const main = async () => {

    const rec = JSON.parse(Fs.readFileSync(Path.join(__dirname, '..', 'testdata', 'chromium-assertion-es256.json'), 'utf8'));
    const credential = {
        id: rec.credential_id,
        publicKey: new Uint8Array(Buffer.from(rec.public_key, 'base64url')),
        counter: rec.counter
    };

    const op = async () => {

        const res = await verifyAuthenticationResponse({
            response: rec.authn_response,
            expectedChallenge: rec.challenge,
            expectedOrigin: rec.origin,
            expectedRPID: rec.rp_id,
            credential,
            requireUserVerification: true
        });

        if (!res.verified || !(res.authenticationInfo.newCounter > rec.counter)) {
            throw new Error('assertion not verified: ' + JSON.stringify(res));
        }
    };

    const result = await measure(op, options(process.argv.slice(2)));
    result.name = 'simplewebauthn verifyAuthenticationResponse';
    result.package = '@simplewebauthn/server@' + version;
    process.stdout.write(JSON.stringify(result) + '\n');
};

main().catch((err) => {

    console.error(err);
    process.exit(1);
});
