'use strict';

// Batch driver for the real @hapi/iron, used by the Go tests of session/
// (session/interop_test.go). It reads one JSON array of requests on stdin,
// runs them in order with iron's defaults, and writes one JSON array of
// results on stdout, {"token": …}, {"object": …} or {"error": message}.
//
// Requests:
//   {"op": "seal", "object": any, "password": "…" | "passwordBuffer": "hex",
//    "passwordId": "k1" (optional), "ttl": ms (optional), "now": ms (optional),
//    "random": "hex" (optional: the bytes iron's randomBits returns, in call
//    order — encryption salt 32, IV 16, integrity salt 32)}
//   {"op": "unseal", "token": "…", "password": "…" | "passwords": {"id": "…"},
//    "now": ms (optional)}
//
// "now" pins Date.now() and "random" pins Cryptiles.randomBits for that
// request only, so known-answer seals can be made with unmodified iron code.

const Cryptiles = require('@hapi/cryptiles');
const Iron = require('@hapi/iron');

const realRandomBits = Cryptiles.randomBits;
const realNow = Date.now;

const pin = (req) => {

    Date.now = req.now === undefined ? realNow : () => req.now;
    if (req.random === undefined) {
        Cryptiles.randomBits = realRandomBits;
        return;
    }

    let pool = Buffer.from(req.random, 'hex');
    Cryptiles.randomBits = (bits) => {

        const n = Math.ceil(bits / 8);
        if (pool.length < n) {
            throw new Error('fixed random exhausted');
        }

        const out = pool.subarray(0, n);
        pool = pool.subarray(n);
        return Buffer.from(out);
    };
};

const password = (req) => {

    if (req.passwords !== undefined) {
        return req.passwords;
    }

    const secret = req.passwordBuffer !== undefined ? Buffer.from(req.passwordBuffer, 'hex') : req.password;
    return req.passwordId === undefined ? secret : { id: req.passwordId, secret };
};

const run = async (req) => {

    pin(req);
    try {
        if (req.op === 'seal') {
            const options = { ...Iron.defaults, ttl: req.ttl ?? 0 };
            return { token: await Iron.seal(req.object, password(req), options) };
        }

        if (req.op === 'unseal') {
            return { object: await Iron.unseal(req.token, password(req), Iron.defaults) };
        }

        return { error: 'unknown op ' + req.op };
    }
    catch (err) {
        return { error: err.message };
    }
    finally {
        pin({});
    }
};

const main = async () => {

    const chunks = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk);
    }

    const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const results = [];
    for (const req of requests) {
        results.push(await run(req));
    }

    process.stdout.write(JSON.stringify(results));
};

main().catch((err) => {

    console.error(err);
    process.exit(1);
});
