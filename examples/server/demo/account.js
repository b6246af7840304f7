"use strict";

// The account-security page of examples/server. It lists, renames, removes
// and enrolls the demo user's sign-in methods through the My Account API,
// with the calls any client makes. The page's CSP allows no inline script,
// and every text from the server goes into the page as textContent, never
// as HTML.

const $ = (sel, root = document) => root.querySelector(sel);
const TOKEN_KEY = "verifykit-token";

// What the page calls each type, in the list and on its add button.
const LABELS = {
  "password": "Password",
  "passkey": "Passkey",
  "webauthn-platform": "Device authenticator",
  "webauthn-roaming": "Security key",
  "totp": "Authenticator app",
  "phone": "Phone",
  "email": "E-mail",
  "push-notification": "Push notifications",
  "recovery-code": "Recovery code",
};
// The mark of an entry without an authenticator icon.
const MARKS = {
  "password": "PW", "passkey": "PK", "webauthn-platform": "DV", "webauthn-roaming": "SK", "totp": "OTP",
  "phone": "TEL", "email": "@", "push-notification": "PU", "recovery-code": "RC",
};
const ADD_LABELS = {
  "password": "Set a password",
  "passkey": "Create a passkey",
  "webauthn-platform": "Use this device's authenticator",
  "webauthn-roaming": "Add a security key",
  "totp": "Add an authenticator app",
  "phone": "Add a phone",
  "email": "Add an e-mail address",
  "push-notification": "Add push notifications",
  "recovery-code": "Generate a recovery code",
};
// The types a PATCH may rename: every type but password, passkey and
// recovery-code has a name.
const RENAMABLE = new Set(["webauthn-platform", "webauthn-roaming", "totp", "phone", "email", "push-notification"]);
// The rules of a password policy error (validation_errors[].detail is
// "rule: text").
const RULES = {
  "min_length": "Too short",
  "max_length": "Too long",
  "character_types": "Missing character types",
  "identical_characters": "Repeated characters",
  "sequential_characters": "Sequential characters",
  "profile_data": "Contains your personal data",
  "dictionary": "Too common",
  "history": "Used before",
};
// How often the push panel asks whether the app has enrolled: the push
// engine's poll budget (60) lasts the 5-minute session at this pace.
const PUSH_POLL_MS = 5000;

let apiBase = "/me/v1";
let offered = [];
let methods = [];
const authenticators = new Map(); // AAGUID → Promise of {name, icon_light, icon_dark} or null

// ApiError is a response other than 2xx, with its problem body.
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || "HTTP " + status);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem || {};
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

// api calls the My Account API with the page's token and returns the JSON
// body (null for 204), or throws an ApiError.
async function api(method, path, body) {
  const init = { method, headers: { "Authorization": "Bearer " + token() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(apiBase + path, init);
  } catch (e) {
    throw new ApiError(0, { title: "Network error", detail: "The server could not be reached: " + e.message });
  }
  if (res.status === 204) return null;
  let json = null;
  if ((res.headers.get("Content-Type") || "").includes("json")) {
    try { json = await res.json(); } catch { json = null; }
  }
  if (!res.ok) throw new ApiError(res.status, json || { title: res.statusText, detail: "HTTP " + res.status + " " + res.statusText });
  return json;
}

function methodPath(id) {
  return "/authentication-methods/" + encodeURIComponent(id);
}

// ---- Messages -------------------------------------------------------------

// describe turns an error into a sentence and a list of details: a problem
// body's detail and one entry per validation error, a WebAuthn
// DOMException in words.
function describe(err) {
  if (err instanceof ApiError) {
    const p = err.problem;
    let head = p.detail || p.title || err.message;
    if (err.status === 401) head = "The access token was refused: " + head;
    const code = [err.status || "", p.type || ""].filter(Boolean).join(" ");
    const items = (Array.isArray(p.validation_errors) ? p.validation_errors : []).map(validationItem);
    return { head, code, items };
  }
  const webauthn = {
    NotAllowedError: "The browser's prompt was cancelled or timed out.",
    InvalidStateError: "This authenticator already holds one of your credentials.",
    NotSupportedError: "No authenticator of this kind is available.",
    SecurityError: "This page is not at an origin allowed for this relying party: open it at the server's -origin.",
    AbortError: "The request was cancelled.",
  }[err && err.name];
  if (webauthn) return { head: webauthn, code: err.name, items: [] };
  return { head: String((err && err.message) || err), code: (err && err.name) || "", items: [] };
}

// validationItem is one validation error: a password rule as "Too short:
// must be at least 15 characters", any other as its detail.
function validationItem(v) {
  const detail = String((v && v.detail) || "");
  const m = /^([a-z_]+): (.*)$/s.exec(detail);
  if (m && RULES[m[1]]) return { label: RULES[m[1]], text: m[2], rule: m[1] };
  return { label: "", text: detail, rule: (v && v.field) || "" };
}

function showProblem(box, err) {
  box.replaceChildren();
  if (!err) {
    box.hidden = true;
    return;
  }
  const d = describe(err);
  const head = document.createElement("p");
  head.textContent = d.head;
  if (d.code) {
    const code = document.createElement("span");
    code.className = "muted";
    code.textContent = " (" + d.code + ")";
    head.append(code);
  }
  box.append(head);
  if (d.items.length) {
    const ul = document.createElement("ul");
    for (const it of d.items) {
      const li = document.createElement("li");
      li.dataset.rule = it.rule;
      if (it.label) {
        const b = document.createElement("strong");
        b.textContent = it.label + ": ";
        li.append(b);
      }
      li.append(it.text);
      ul.append(li);
    }
    box.append(ul);
  }
  box.hidden = false;
}

function notice(text) {
  const n = $("#notice");
  n.textContent = text || "";
  n.hidden = !text;
}

// fmtTime shows a timestamp of the API as "2026-12-07 16:43 UTC".
function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

// ---- The list ---------------------------------------------------------------

// authenticator looks up the model of a passkey by its AAGUID: the name
// and icons the server was configured with (-aaguid-names), or null.
function authenticator(aaguid) {
  if (!aaguid || /^[0-]+$/.test(aaguid)) return Promise.resolve(null);
  if (!authenticators.has(aaguid)) {
    authenticators.set(aaguid, fetch("/demo/authenticators/" + encodeURIComponent(aaguid))
      .then((r) => (r.ok ? r.json() : null))
      .then((info) => (info && typeof info.name === "string" && info.name ? info : null))
      .catch(() => null));
  }
  return authenticators.get(aaguid);
}

function dataImage(s) {
  return typeof s === "string" && s.startsWith("data:image/") ? s : "";
}

async function loadMethods() {
  const locked = !token();
  $("#methods-locked").hidden = !locked;
  for (const b of document.querySelectorAll("#add-buttons button")) b.disabled = locked;
  if (locked) {
    methods = [];
    $("#methods").replaceChildren();
    $("#methods-empty").hidden = true;
    return;
  }
  let list;
  try {
    list = (await api("GET", "/authentication-methods")).authentication_methods || [];
  } catch (e) {
    showProblem(e.status === 401 ? $("#token-error") : $("#list-error"), e);
    return;
  }
  showProblem($("#token-error"), null);
  showProblem($("#list-error"), null);
  const infos = await Promise.all(list.map((m) => (m.type === "passkey" ? authenticator(m.aaguid) : null)));
  methods = list;
  $("#methods").replaceChildren(...list.map((m, i) => methodItem(m, infos[i])));
  $("#methods-empty").hidden = list.length > 0;
  updateAddButtons();
}

function methodItem(m, info) {
  const li = $("#method-template").content.firstElementChild.cloneNode(true);
  li.dataset.id = m.id;
  li.dataset.type = m.type;
  const label = LABELS[m.type] || m.type;
  $(".method-type", li).textContent = label;
  const icon = $(".method-icon", li);
  icon.dataset.mark = MARKS[m.type] || "?";

  const name = $(".method-name", li);
  if (m.name) {
    name.textContent = m.name;
  } else if (info) {
    // A passkey has no name in the API: the page shows its authenticator's.
    name.textContent = info.name;
    name.classList.add("authenticator");
    name.dataset.authenticator = info.name;
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    const src = dataImage(dark ? info.icon_dark || info.icon_light : info.icon_light || info.icon_dark);
    if (src) {
      const img = $(".auth-icon", li);
      img.src = src;
      img.alt = info.name;
      img.hidden = false;
      icon.classList.add("has-icon");
    }
  }
  $(".unconfirmed", li).hidden = m.confirmed !== false;

  const detail = [];
  if (m.type === "email") detail.push(m.email);
  if (m.type === "phone") detail.push(m.phone_number, m.preferred_authentication_method === "voice" ? "voice calls" : "text messages");
  if (m.type === "passkey") {
    detail.push(m.credential_device_type === "multi_device" ? "Synced passkey" : "Device-bound passkey");
    if (m.user_agent) detail.push("created in " + m.user_agent);
  }
  if (m.type === "password" && m.last_password_reset) detail.push("Changed " + fmtTime(m.last_password_reset));
  $(".method-detail", li).textContent = detail.filter(Boolean).join(" · ");

  const created = $(".created", li);
  created.dateTime = m.created_at;
  created.textContent = fmtTime(m.created_at);
  const last = $(".last-auth", li);
  if (m.last_auth_at) {
    last.dateTime = m.last_auth_at;
    last.textContent = fmtTime(m.last_auth_at);
    $(".never", li).hidden = true;
  } else {
    last.hidden = true;
  }
  if (m.type === "password") {
    // The password schema has no last_auth_at.
    const dates = $(".method-dates", li);
    dates.replaceChildren("Added ", created);
  }

  const problem = $(".problem", li);
  const renameForm = $(".rename-form", li);
  const confirmRow = $(".delete-confirm", li);
  const renameBtn = $(".rename", li);
  renameBtn.hidden = !RENAMABLE.has(m.type);
  renameBtn.addEventListener("click", () => {
    notice("");
    confirmRow.hidden = true;
    showProblem(problem, null);
    renameForm.hidden = false;
    renameForm.elements.name.value = m.name || "";
    renameForm.elements.name.focus();
  });
  $(".rename-cancel", li).addEventListener("click", () => {
    renameForm.hidden = true;
    showProblem(problem, null);
  });
  renameForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(renameForm, async () => {
      try {
        const updated = await api("PATCH", methodPath(m.id), { name: renameForm.elements.name.value });
        notice(label + " renamed to “" + updated.name + "”.");
        await loadMethods();
      } catch (e) {
        showProblem(problem, e);
      }
    });
  });
  $(".delete", li).addEventListener("click", () => {
    notice("");
    renameForm.hidden = true;
    showProblem(problem, null);
    confirmRow.hidden = false;
    $(".delete-no", li).focus();
  });
  $(".delete-no", li).addEventListener("click", () => {
    confirmRow.hidden = true;
  });
  $(".delete-yes", li).addEventListener("click", () => {
    busy(confirmRow, async () => {
      try {
        await api("DELETE", methodPath(m.id));
        notice(label + " removed.");
        await loadMethods();
      } catch (e) {
        confirmRow.hidden = true;
        showProblem(problem, e);
      }
    });
  });
  return li;
}

// busy disables the buttons of root while f runs.
async function busy(root, f) {
  const buttons = root.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  try {
    await f();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---- Enrollment -------------------------------------------------------------

// The open enrollment panel: one at a time. gen tells a flow whether its
// panel is still the one open after each await.
let active = null;
let gen = 0;

function updateAddButtons() {
  const b = $("#add-password");
  if (b) b.textContent = methods.some((m) => m.type === "password") ? "Change password" : ADD_LABELS.password;
}

function renderAddButtons() {
  const box = $("#add-buttons");
  box.replaceChildren();
  for (const type of offered) {
    if (!ADD_LABELS[type] || !$("#enroll-" + type)) continue;
    const b = document.createElement("button");
    b.type = "button";
    b.id = "add-" + type;
    b.textContent = ADD_LABELS[type];
    b.disabled = !token();
    b.addEventListener("click", () => openPanel(type));
    box.append(b);
  }
  updateAddButtons();
}

function setState(panel, state) {
  panel.dataset.state = state;
}

function closePanel() {
  gen++;
  if (!active) return;
  const { panel } = active;
  clearTimeout(active.timer);
  if (active.blobURL) URL.revokeObjectURL(active.blobURL);
  // Forget what was secret: the otpauth URI and its key, the recovery
  // code, what was typed.
  for (const img of panel.querySelectorAll("img.qr")) img.removeAttribute("src");
  for (const a of panel.querySelectorAll("a.otpauth")) a.setAttribute("href", "#");
  for (const c of panel.querySelectorAll(".manual, .recovery-code, .destination, .policy")) c.replaceChildren();
  for (const f of panel.querySelectorAll("form")) f.reset();
  showProblem($(".problem", panel), null);
  setState(panel, "idle");
  panel.hidden = true;
  active = null;
}

function openPanel(type) {
  closePanel();
  notice("");
  const panel = $("#enroll-" + type);
  active = { type, panel, gen, state: {} };
  panel.hidden = false;
  showProblem($(".problem", panel), null);
  FLOWS[type](panel, active);
  panel.scrollIntoView({ block: "nearest" });
}

// step runs f for the open panel: a problem is shown in the panel; a flow
// whose panel was closed meanwhile stops quietly.
async function step(a, f) {
  const box = $(".problem", a.panel);
  try {
    await f(() => a.gen !== gen);
  } catch (e) {
    if (a.gen === gen) showProblem(box, e);
  }
}

async function enrolled(a, text) {
  if (a.gen !== gen) return;
  closePanel();
  await loadMethods();
  notice(text);
}

function start(body) {
  return api("POST", "/authentication-methods", body);
}

function verify(enrollment, body) {
  return api("POST", methodPath(enrollment.id) + "/verify", { auth_session: enrollment.auth_session, ...body });
}

// showBarcode shows the otpauth URI as a QR code (rendered by the server
// from a POST body: the URI holds the secret, so it is in no URL) and as a
// link for an app on this device.
async function showBarcode(a, uri) {
  const res = await fetch("/demo/qr", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ data: uri }) });
  if (!res.ok) throw new Error("The QR code could not be rendered (HTTP " + res.status + ").");
  const blob = await res.blob();
  if (a.gen !== gen) return;
  a.blobURL = URL.createObjectURL(blob);
  const img = $("img.qr", a.panel);
  await new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = () => reject(new Error("The QR code image could not be shown."));
    img.src = a.blobURL;
  });
  $("a.otpauth", a.panel).href = uri;
}

// codeForm sends the code typed into panel's code form to verify.
function codeForm(panel, field, done) {
  const form = $(".code-form", panel);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const a = active;
    if (!a || a.panel !== panel || !a.state.enrollment) return;
    busy(form, () => step(a, async (stale) => {
      showProblem($(".problem", panel), null);
      const m = await verify(a.state.enrollment, { [field]: form.elements.code.value.trim() });
      if (!stale()) await enrolled(a, done(m));
    }));
  };
}

const FLOWS = {
  "totp": (panel, a) => {
    setState(panel, "working");
    codeForm(panel, "otp_code", () => "Authenticator app added.");
    step(a, async (stale) => {
      const e = await start({ type: "totp" });
      if (stale()) return;
      a.state.enrollment = e;
      $(".manual", panel).textContent = e.manual_input_code;
      await showBarcode(a, e.barcode_uri);
      if (stale()) return;
      setState(panel, "code");
      $(".code-form input", panel).focus();
    });
  },

  "push-notification": (panel, a) => {
    setState(panel, "working");
    const check = () => step(a, async (stale) => {
      clearTimeout(a.timer);
      if (a.state.checking) return;
      a.state.checking = true;
      try {
        const m = await verify(a.state.enrollment, {});
        if (!stale()) await enrolled(a, "Push notifications added" + (m.name ? " on “" + m.name + "”." : "."));
      } catch (e) {
        if (stale()) return;
        if (e instanceof ApiError && e.problem.type === "enrollment_pending") {
          a.timer = setTimeout(check, PUSH_POLL_MS);
          return;
        }
        throw e;
      } finally {
        a.state.checking = false;
      }
    });
    $(".check", panel).onclick = check;
    step(a, async (stale) => {
      const e = await start({ type: "push-notification" });
      if (stale()) return;
      a.state.enrollment = e;
      await showBarcode(a, e.barcode_uri);
      if (stale()) return;
      setState(panel, "pending");
      a.timer = setTimeout(check, PUSH_POLL_MS);
    });
  },

  "email": (panel, a) => oob(panel, a, "email", (addr) => ({ type: "email", email: addr })),
  "phone": (panel, a) => oob(panel, a, "phone", (addr, form) => ({
    type: "phone", phone_number: addr, preferred_authentication_method: form.elements.channel.value,
  })),

  "recovery-code": (panel, a) => {
    setState(panel, "working");
    $(".confirm", panel).onclick = () => busy(panel, () => step(a, async (stale) => {
      await verify(a.state.enrollment, {});
      if (!stale()) await enrolled(a, "Recovery code saved.");
    }));
    step(a, async (stale) => {
      const e = await start({ type: "recovery-code" });
      if (stale()) return;
      a.state.enrollment = e;
      $(".recovery-code", panel).textContent = e.recovery_code;
      setState(panel, "code");
    });
  },

  "password": (panel, a) => {
    setState(panel, "working");
    const form = $(".password-form", panel);
    form.onsubmit = (ev) => {
      ev.preventDefault();
      busy(form, () => step(a, async (stale) => {
        showProblem($(".problem", panel), null);
        const m = await verify(a.state.enrollment, { new_password: form.elements.password.value });
        if (!stale()) await enrolled(a, m.last_password_reset ? "Password saved at " + fmtTime(m.last_password_reset) + "." : "Password saved.");
      }));
    };
    step(a, async (stale) => {
      const e = await start({ type: "password" });
      if (stale()) return;
      a.state.enrollment = e;
      $(".policy", panel).replaceChildren(...policyItems(e.policy).map((t) => {
        const li = document.createElement("li");
        li.textContent = t;
        return li;
      }));
      setState(panel, "code");
      form.elements.password.focus();
    });
  },

  "passkey": (panel, a) => webauthnFlow(panel, a, "passkey"),
  "webauthn-platform": (panel, a) => webauthnFlow(panel, a, "webauthn-platform"),
  "webauthn-roaming": (panel, a) => webauthnFlow(panel, a, "webauthn-roaming"),
};

// oob is the e-mail and phone flow: the address, then the code the server
// sent to it.
function oob(panel, a, type, body) {
  setState(panel, "address");
  const form = $(".address-form", panel);
  codeForm(panel, "otp_code", (m) => LABELS[type] + " " + (m.email || m.phone_number || "") + " added.");
  form.onsubmit = (ev) => {
    ev.preventDefault();
    busy(form, () => step(a, async (stale) => {
      showProblem($(".problem", panel), null);
      const addr = form.elements.address.value.trim();
      const e = await start(body(addr, form));
      if (stale()) return;
      a.state.enrollment = e;
      $(".destination", panel).textContent = addr;
      setState(panel, "code");
      $(".code-form input", panel).focus();
    }));
  };
  form.elements.address.focus();
}

// policyItems says a password policy (PasswordAuthenticationMethodPolicy)
// as the rules a new password must meet.
function policyItems(p) {
  const out = [];
  const c = (p && p.complexity) || {};
  if (c.min_length) out.push("be at least " + c.min_length + " characters long");
  if (Array.isArray(c.character_types) && c.character_types.length) {
    out.push((c.character_type_rule === "three_of_four" ? "contain three of these four: " : "contain each of: ") + c.character_types.join(", "));
  }
  if (c.identical_characters === "block") out.push("not repeat a character more than twice in a row");
  if (c.sequential_characters === "block") out.push("not contain sequences such as abc or 123");
  if (c.max_length_exceeded === "error") out.push("not be longer than the password hash takes (a longer one is refused, never cut short)");
  if (p && p.profile_data && p.profile_data.active) {
    out.push("not contain your personal data (" + (p.profile_data.blocked_fields || []).join(", ") + ")");
  }
  if (p && p.dictionary && p.dictionary.active) out.push("not be a commonly used password (" + p.dictionary.default + " list)");
  if (p && p.history && p.history.active) out.push("not be one of your last " + p.history.size + " passwords");
  return out;
}

// ---- WebAuthn ---------------------------------------------------------------

function b64url(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}

// creationOptions decodes authn_params_public_key, with the browser's own
// parser where it has one.
function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: unb64url(json.challenge),
    user: { ...json.user, id: unb64url(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: unb64url(c.id) })),
  };
}

function webauthnFlow(panel, a, type) {
  setState(panel, "working");
  step(a, async (stale) => {
    if (!window.PublicKeyCredential || !window.isSecureContext) {
      throw new Error("WebAuthn needs a secure context: open this page at the server's -origin (http://localhost:PORT or https).");
    }
    const e = await start({ type });
    if (stale()) return;
    const cred = await navigator.credentials.create({ publicKey: creationOptions(e.authn_params_public_key) });
    if (stale()) return;
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
    const m = await verify(e, { authn_response });
    if (stale()) return;
    let on = m.name || "";
    if (!on && m.type === "passkey") {
      const info = await authenticator(m.aaguid);
      on = info ? info.name : "";
    }
    await enrolled(a, LABELS[type] + " added" + (on ? " on “" + on + "”." : "."));
  });
}

// ---- Start --------------------------------------------------------------------

async function init() {
  const input = $("#token");
  input.value = token();
  $("#token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    closePanel();
    notice("");
    loadMethods();
  });
  for (const b of document.querySelectorAll(".panel .cancel")) b.addEventListener("click", closePanel);
  try {
    const res = await fetch("/demo/config");
    if (!res.ok) throw new Error("HTTP " + res.status);
    const c = await res.json();
    apiBase = new URL(c.base_url).pathname.replace(/\/$/, "");
    offered = c.types || [];
  } catch (e) {
    showProblem($("#list-error"), new Error("The demo configuration could not be read: " + e.message));
    return;
  }
  renderAddButtons();
  await loadMethods();
  document.body.dataset.ready = "true";
}

init();
