// An independent DPoP client (panva's npm "dpop", RFC 9449) against a
// server that requires server nonces: the first call has no nonce and must
// be refused with use_dpop_nonce and a DPoP-Nonce header; the client then
// retries with that nonce, as RFC 9449 §8 describes.
//
// usage: node nonce.mjs URL ACCESS_TOKEN PRIVATE_JWK_JSON
// prints one JSON object: {first, second, third}, each {status, nonce, www}.
import * as DPoP from "dpop";

const [url, at, jwkJSON] = process.argv.slice(2);
const jwk = JSON.parse(jwkJSON);
const alg = { name: "ECDSA", namedCurve: "P-256" };
const privateKey = await crypto.subtle.importKey("jwk", jwk, alg, false, ["sign"]);
const { d, ...pub } = jwk;
const publicKey = await crypto.subtle.importKey("jwk", pub, alg, true, ["verify"]);
const keypair = { privateKey, publicKey };

async function call(nonce) {
  const proof = await DPoP.generateProof(keypair, url, "POST", nonce, at);
  const r = await fetch(url, {
    method: "POST",
    headers: { Authorization: "DPoP " + at, DPoP: proof, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "recovery-code" }),
  });
  await r.text();
  return { status: r.status, nonce: r.headers.get("dpop-nonce"), www: r.headers.get("www-authenticate") };
}

const first = await call(undefined);
const second = await call(first.nonce ?? undefined);
const third = await call(second.nonce ?? undefined);
console.log(JSON.stringify({ first, second, third }));
