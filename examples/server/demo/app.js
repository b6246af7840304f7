"use strict";

// The demo page's client: it calls the API exactly as any client would.
const $ = (id) => document.getElementById(id);
let base = "/me/v1";
const pending = {};

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("verifykit-token") || "";
tokenInput.addEventListener("input", () => sessionStorage.setItem("verifykit-token", tokenInput.value.trim()));

fetch("/demo/config").then((r) => r.json()).then((c) => {
  base = new URL(c.base_url).pathname;
});

function show(res, body) {
  const ok = res.status < 300;
  $("status").textContent = res.status + " " + res.statusText + (res.headers.get("Location") ? " — Location: " + res.headers.get("Location") : "");
  $("status").className = ok ? "ok" : "err";
  $("response").textContent = JSON.stringify(body, null, 2);
  return ok;
}

async function api(path, body) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Authorization": "Bearer " + tokenInput.value.trim() },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  return { ok: show(res, json), json };
}

function verifyPath(id) {
  return "/authentication-methods/" + encodeURIComponent(id) + "/verify";
}

$("totp-start").addEventListener("click", async () => {
  const { ok, json } = await api("/authentication-methods", { type: "totp" });
  if (!ok) return;
  pending.totp = json;
  $("totp-manual").textContent = json.manual_input_code;
  const qr = await fetch("/demo/qr", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ data: json.barcode_uri }) });
  if (qr.ok) $("totp-qr").src = URL.createObjectURL(await qr.blob());
  $("totp-enroll").classList.remove("hidden");
  $("totp-code").focus();
});

$("totp-verify").addEventListener("click", async () => {
  const p = pending.totp;
  if (!p) return;
  const { ok } = await api(verifyPath(p.id), { auth_session: p.auth_session, otp_code: $("totp-code").value.trim() });
  if (ok) { $("totp-enroll").classList.add("hidden"); delete pending.totp; }
});

$("recovery-start").addEventListener("click", async () => {
  const { ok, json } = await api("/authentication-methods", { type: "recovery-code" });
  if (!ok) return;
  pending.recovery = json;
  $("recovery-code").textContent = json.recovery_code;
  $("recovery-enroll").classList.remove("hidden");
});

$("recovery-verify").addEventListener("click", async () => {
  const p = pending.recovery;
  if (!p) return;
  const { ok } = await api(verifyPath(p.id), { auth_session: p.auth_session });
  if (ok) { $("recovery-enroll").classList.add("hidden"); $("recovery-code").textContent = ""; delete pending.recovery; }
});

// WebAuthn: base64url <-> ArrayBuffer for browsers without
// PublicKeyCredential.parseCreationOptionsFromJSON.
function b64url(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: unb64url(json.challenge),
    user: { ...json.user, id: unb64url(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: unb64url(c.id) })),
  };
}

async function enrollWebAuthn(type) {
  const hint = $("webauthn-hint");
  hint.classList.add("hidden");
  if (!window.PublicKeyCredential || !window.isSecureContext) {
    hint.textContent = "WebAuthn needs a secure context: open the page at the server's -origin (http://localhost:PORT or https).";
    hint.classList.remove("hidden");
    return;
  }
  const { ok, json } = await api("/authentication-methods", { type });
  if (!ok) return;
  let cred;
  try {
    cred = await navigator.credentials.create({ publicKey: creationOptions(json.authn_params_public_key) });
  } catch (e) {
    hint.textContent = e.name + ": " + e.message + (e.name === "SecurityError" ? " (is this page at the server's -origin, under RP ID " + json.authn_params_public_key.rp.id + "?)" : "");
    hint.classList.remove("hidden");
    return;
  }
  // authn_response has exactly the members of the spec's
  // AuthenticatorAttestationResponse (toJSON() would add others).
  const authn_response = {
    id: cred.id,
    rawId: b64url(cred.rawId),
    type: cred.type,
    response: {
      attestationObject: b64url(cred.response.attestationObject),
      clientDataJSON: b64url(cred.response.clientDataJSON),
      transports: cred.response.getTransports ? cred.response.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  };
  if (cred.authenticatorAttachment) authn_response.authenticatorAttachment = cred.authenticatorAttachment;
  await api(verifyPath(json.id), { auth_session: json.auth_session, authn_response });
}

$("passkey-start").addEventListener("click", () => enrollWebAuthn("passkey"));
$("roaming-start").addEventListener("click", () => enrollWebAuthn("webauthn-roaming"));
