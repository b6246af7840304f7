'use strict';

// bench/run's Node side of the auth_session pair: one @hapi/iron seal and
// one unseal of the object in bench/testdata/auth-session-payload.json,
// with iron's defaults (the Fe26.2 format session.Sealer implements), a
// 5-minute ttl, a password with an id, and the same 51-character password
// as session.BenchmarkSealUnseal. Every unsealed object is checked, so a
// broken run cannot pass for a fast one.
//
//   node bench/node/iron.js [--warmup-ms N] [--min-ms N] [--runs N]
//
// Prints one JSON object: ns_per_op (median run), runs, versions.

const Fs = require('fs');
const Path = require('path');

const { measure, options } = require('./timing');

const interop = Path.join(__dirname, '..', '..', 'interop', 'node_modules');
const Iron = require(Path.join(interop, '@hapi', 'iron'));
const ironVersion = require(Path.join(interop, '@hapi', 'iron', 'package.json')).version;

const main = async () => {

    const text = Fs.readFileSync(Path.join(__dirname, '..', 'testdata', 'auth-session-payload.json'), 'utf8').trim();
    const object = JSON.parse(text);
    if (JSON.stringify(object) !== text) {
        throw new Error('auth-session-payload.json is not in JSON.stringify form: iron would seal other bytes than Go');
    }

    const secret = 'some_not_random_password_that_is_also_long_enough';
    const options_ = { ...Iron.defaults, ttl: 5 * 60 * 1000 };
    const op = async () => {

        const token = await Iron.seal(object, { id: 'k2', secret }, options_);
        const back = await Iron.unseal(token, { k2: secret }, Iron.defaults);
        if (back.sid !== object.sid) {
            throw new Error('unsealed object differs');
        }
    };

    const result = await measure(op, options(process.argv.slice(2)));
    result.name = 'iron seal+unseal';
    result.package = '@hapi/iron@' + ironVersion;
    result.plaintext_bytes = Buffer.byteLength(text);
    process.stdout.write(JSON.stringify(result) + '\n');
};

main().catch((err) => {

    console.error(err);
    process.exit(1);
});
