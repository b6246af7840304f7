"use strict";

// The sign-in page's client: it calls verifykit's sign-in routes exactly
// as any client would. Usernameless passkey sign-in (a button, and
// conditional-UI autofill started on load), a step-up of the signed-in
// user with one of their methods, and a passkey upgrade (conditional
// create) after a password step-up.
const $ = (id) => document.getElementById(id);

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("verifykit-token") || "";
tokenInput.addEventListener("input", () => sessionStorage.setItem("verifykit-token", tokenInput.value.trim()));

// The API's path, from the server's -base-url.
const basePath = fetch("/demo/config").then((r) => r.json()).then((c) => new URL(c.base_url).pathname, () => "/me/v1");

function show(res, body) {
  const ok = res.status < 300;
  $("status").textContent = res.status + " " + res.statusText + (res.headers.get("Location") ? " — Location: " + res.headers.get("Location") : "");
  $("status").className = ok ? "ok" : "err";
  $("response").textContent = JSON.stringify(body, null, 2);
  return ok;
}

// call sends a JSON request to path (under the API's path when api is
// true, with the bearer token) and shows the answer.
async function call(method, path, body, api) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (api) headers["Authorization"] = "Bearer " + tokenInput.value.trim();
  const res = await fetch((api ? await basePath : "") + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  try { json = await res.json(); } catch (e) { json = { error: "the answer is not JSON" }; }
  return { ok: show(res, json), status: res.status, json };
}

const methodPath = (id) => "/authentication-methods/" + encodeURIComponent(id);

function note(id, cls, text) {
  const el = $(id);
  el.className = cls;
  el.textContent = text;
}

// WebAuthn JSON: the browser's own parse…FromJSON and toJSON() where it
// has them (Chromium, Safari, Firefox), else the same by hand.
function b64url(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: unb64url(json.challenge), allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: unb64url(c.id) })) };
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

// credentialJSON is the authn_response of a created or asserted
// credential: its toJSON() (which the server accepts as it is), or the
// same members by hand.
function credentialJSON(cred) {
  if (typeof cred.toJSON === "function") return cred.toJSON();
  const r = cred.response;
  const response = r.attestationObject
    ? { attestationObject: b64url(r.attestationObject), clientDataJSON: b64url(r.clientDataJSON), transports: r.getTransports ? r.getTransports() : [] }
    : { authenticatorData: b64url(r.authenticatorData), clientDataJSON: b64url(r.clientDataJSON), signature: b64url(r.signature) };
  if (r.userHandle) response.userHandle = b64url(r.userHandle);
  const out = { id: cred.id, rawId: b64url(cred.rawId), type: cred.type, response, clientExtensionResults: cred.getClientExtensionResults() };
  if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
  return out;
}

function webauthnUsable(hintID) {
  if (window.PublicKeyCredential && window.isSecureContext) return true;
  note(hintID, "err", "WebAuthn needs a secure context: open the page at the server's -origin (http://localhost:PORT or https).");
  return false;
}

// Conditional UI. A browser runs one WebAuthn request at a time, so the
// pending autofill request is aborted before any other (the button, a
// step-up, the upgrade); its rejection then says why.
let autofill = null; // {ctl: AbortController, why: string}

function stopAutofill(why) {
  if (!autofill) return;
  autofill.why = why;
  autofill.ctl.abort();
  autofill = null;
}

async function startAutofill() {
  if (!window.PublicKeyCredential || !window.isSecureContext || !PublicKeyCredential.isConditionalMediationAvailable) {
    note("autofill-state", "muted", "Autofill: this browser offers no passkey autofill here; use the button.");
    return;
  }
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) {
    note("autofill-state", "muted", "Autofill: this browser offers no passkey autofill; use the button.");
    return;
  }
  const mine = { ctl: new AbortController(), why: "" };
  autofill = mine;
  const ch = await call("POST", "/passkey/challenge", {}, false);
  if (mine.ctl.signal.aborted) {
    note("autofill-state", "muted", "Autofill: aborted before it started (" + mine.why + ").");
    return;
  }
  if (!ch.ok) {
    autofill = null;
    note("autofill-state", "err", "Autofill: no challenge (" + ch.status + "); use the button.");
    return;
  }
  note("autofill-state", "muted", "Autofill: waiting — choose a passkey in the username field's suggestions.");
  let cred;
  try {
    cred = await navigator.credentials.get({ mediation: "conditional", signal: mine.ctl.signal, publicKey: requestOptions(ch.json.authn_params_public_key) });
  } catch (e) {
    if (mine.ctl.signal.aborted) note("autofill-state", "muted", "Autofill: aborted (" + mine.why + "). Reload the page to offer it again.");
    else note("autofill-state", "muted", "Autofill: the browser ended it (" + e.name + "); use the button.");
    return;
  } finally {
    if (autofill === mine) autofill = null;
  }
  note("autofill-state", "ok", "Autofill: a passkey was chosen.");
  await finishPasskey(ch.json, cred, "autofill (conditional mediation)");
}

async function finishPasskey(challenge, cred, via) {
  const { ok, json } = await call("POST", "/passkey/authenticate", { auth_session: challenge.auth_session, authn_response: credentialJSON(cred) }, false);
  if (!ok) {
    note("passkey-hint", "err", "The server refused the passkey: " + (json.detail || json.title || json.type || "error") + ".");
    return;
  }
  $("passkey-hint").className = "hidden";
  const m = json.authentication_method || {};
  $("signin-user").textContent = json.user_id;
  $("signin-method").textContent = m.type + " " + m.id;
  $("signin-via").textContent = via;
  $("signin-last-auth").textContent = m.last_auth_at || "";
  $("signin-result").classList.remove("hidden");
  if (!$("username").value) $("username").value = json.user_id;
}

$("passkey-signin").addEventListener("click", async () => {
  stopAutofill("the button started its own request");
  $("passkey-hint").className = "hidden";
  if (!webauthnUsable("passkey-hint")) return;
  const ch = await call("POST", "/passkey/challenge", {}, false);
  if (!ch.ok) return;
  let cred;
  try {
    cred = await navigator.credentials.get({ publicKey: requestOptions(ch.json.authn_params_public_key) });
  } catch (e) {
    note("passkey-hint", "err", "The browser gave no passkey (" + e.name + ": " + e.message + ").");
    return;
  }
  await finishPasskey(ch.json, cred, "the button (modal)");
});

// Step-up of the signed-in user.
const proofs = {
  "totp": ["otp_code", "Code from the app", "text"],
  "email": ["otp_code", "Code from the e-mail", "text"],
  "phone": ["otp_code", "Code from the message", "text"],
  "recovery-code": ["recovery_code", "Recovery code", "text"],
  "password": ["password", "Password", "password"],
  "passkey": ["authn_response"],
  "webauthn-platform": ["authn_response"],
  "webauthn-roaming": ["authn_response"],
};
let stepup = null; // {method, auth_session}
let methods = {};

function forgetRecovery() {
  $("stepup-recovery-code").textContent = "";
  $("stepup-recovery").classList.add("hidden");
}

$("methods-load").addEventListener("click", async () => {
  forgetRecovery();
  const { ok, json } = await call("GET", "/authentication-methods", undefined, true);
  if (!ok) return;
  const select = $("method");
  select.replaceChildren();
  methods = {};
  for (const m of json.authentication_methods || []) {
    if (!proofs[m.type] || m.confirmed === false) continue;
    methods[m.id] = m;
    const o = document.createElement("option");
    o.value = m.id;
    o.textContent = m.type + (m.name ? " “" + m.name + "”" : "") + " — " + m.id + (m.last_auth_at ? " (last sign-in " + m.last_auth_at + ")" : "");
    select.append(o);
  }
  $("stepup-choose").classList.toggle("hidden", select.options.length === 0);
});

$("stepup-challenge").addEventListener("click", async () => {
  forgetRecovery();
  $("stepup-result").classList.add("hidden");
  $("stepup-answer").classList.add("hidden");
  const m = methods[$("method").value];
  if (!m) return;
  const { ok, json } = await call("POST", methodPath(m.id) + "/challenge", {}, true);
  if (!ok) return;
  stepup = { method: m, auth_session: json.auth_session };
  const [member, label, kind] = proofs[m.type];
  if (member === "authn_response") {
    stopAutofill("a step-up with a passkey started");
    let cred;
    try {
      cred = await navigator.credentials.get({ publicKey: requestOptions(json.authn_params_public_key) });
    } catch (e) {
      note("status", "err", "The browser gave no credential (" + e.name + ": " + e.message + ").");
      return;
    }
    await authenticate({ authn_response: credentialJSON(cred) });
    return;
  }
  $("stepup-label").textContent = label;
  const input = $("stepup-proof");
  input.type = kind;
  input.value = "";
  input.autocomplete = member === "password" ? "current-password" : member === "otp_code" ? "one-time-code" : "off";
  $("stepup-answer").classList.remove("hidden");
  input.focus();
});

$("stepup-authenticate").addEventListener("click", () => {
  if (!stepup) return;
  authenticate({ [proofs[stepup.method.type][0]]: $("stepup-proof").value.trim() });
});

async function authenticate(proof) {
  const s = stepup;
  const { ok, json } = await call("POST", methodPath(s.method.id) + "/authenticate", { auth_session: s.auth_session, ...proof }, true);
  if (!ok) return; // the session allows a few attempts: the field stays
  stepup = null;
  $("stepup-proof").value = "";
  $("stepup-answer").classList.add("hidden");
  const m = json.authentication_method || {};
  $("stepup-method").textContent = m.type + " " + m.id;
  $("stepup-last-auth").textContent = m.last_auth_at || "(none in this type's schema)";
  $("stepup-result").classList.remove("hidden");
  if (json.recovery_code) {
    $("stepup-recovery-code").textContent = json.recovery_code;
    $("stepup-recovery").classList.remove("hidden");
  }
  if (s.method.type === "password") offerUpgrade();
}

// The passkey upgrade (WebAuthn L3 conditional create) after a password
// step-up.
async function offerUpgrade() {
  if (!window.PublicKeyCredential || !window.isSecureContext) {
    note("upgrade-status", "err", "No upgrade: WebAuthn needs this page at the server's -origin.");
    return;
  }
  const caps = PublicKeyCredential.getClientCapabilities ? await PublicKeyCredential.getClientCapabilities().catch(() => ({})) : {};
  if (caps.conditionalCreate === false) {
    note("upgrade-status", "err", "No upgrade: this browser does not offer conditional create.");
    return;
  }
  const { ok, json } = await call("POST", "/authentication-methods", { type: "passkey", mediation: "conditional" }, true);
  if (!ok) {
    note("upgrade-status", "err", "No upgrade: the server refused to start one (" + (json.detail || json.title || json.type) + ").");
    return;
  }
  stopAutofill("the passkey upgrade started");
  note("upgrade-status", "muted", "Upgrade offered: the browser may now create a passkey without a dialog…");
  let cred;
  try {
    cred = await navigator.credentials.create({ mediation: "conditional", publicKey: creationOptions(json.authn_params_public_key) });
  } catch (e) {
    note("upgrade-status", "err", "The browser declined the passkey upgrade (" + e.name + ": " + e.message + "). Nothing was enrolled; the account page creates a passkey with a dialog.");
    return;
  }
  const v = await call("POST", methodPath(json.id) + "/verify", { auth_session: json.auth_session, authn_response: credentialJSON(cred) }, true);
  if (v.ok) note("upgrade-status", "ok", "Upgraded: the browser created a passkey, enrolled as " + v.json.id + ".");
  else note("upgrade-status", "err", "The server refused the new passkey (" + v.status + " " + (v.json.detail || v.json.title || v.json.type) + ").");
}

startAutofill().catch((e) => note("autofill-state", "err", "Autofill: " + e.name + ": " + e.message));
