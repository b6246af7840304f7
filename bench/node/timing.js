'use strict';

// The timing method of the Node side of bench/run, kept close to Go's
// testing.B with -benchtime and -count: a warm-up (so V8 has optimised the
// code and the libuv thread pool is up), then `runs` timed runs, each
// calling the operation back to back until at least `minMs` have passed.
// A run's ns/op is its elapsed time divided by its iterations; the result
// is the median run. Operations are awaited one at a time, as a server
// handling one request would, never overlapped. Beside the elapsed time
// per operation it reports the process's CPU time (user + system, every
// thread, libuv's pool included) per operation.

const measure = async (op, { warmupMs = 1000, minMs = 2000, runs = 5 } = {}) => {

    const loop = async (ms) => {

        const limit = BigInt(ms) * 1000000n;
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        let n = 0;
        let elapsed = 0n;
        do {
            await op();
            n++;
            elapsed = process.hrtime.bigint() - start;
        } while (elapsed < limit);

        const used = process.cpuUsage(cpu);
        return { n, ns: Number(elapsed) / n, cpuNs: (used.user + used.system) * 1000 / n };
    };

    await loop(warmupMs);
    const results = [];
    for (let i = 0; i < runs; i++) {
        results.push(await loop(minMs));
    }

    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
        ns_per_op: median(results.map((r) => r.ns)),
        cpu_ns_per_op: median(results.map((r) => r.cpuNs)),
        runs: results.map((r) => ({ iterations: r.n, ns_per_op: Math.round(r.ns), cpu_ns_per_op: Math.round(r.cpuNs) })),
        node: process.version
    };
};

// options reads --warmup-ms, --min-ms and --runs from argv.
const options = (argv) => {

    const out = {};
    for (let i = 0; i < argv.length; i += 2) {
        const key = { '--warmup-ms': 'warmupMs', '--min-ms': 'minMs', '--runs': 'runs' }[argv[i]];
        const value = Number(argv[i + 1]);
        if (!key || !Number.isInteger(value) || value <= 0) {
            throw new Error('usage: [--warmup-ms N] [--min-ms N] [--runs N], got ' + argv.slice(i, i + 2).join(' '));
        }

        out[key] = value;
    }

    return out;
};

module.exports = { measure, options };
