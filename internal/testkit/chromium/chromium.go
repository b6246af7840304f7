// Package chromium holds what verifykit's two drivers of headless Chromium
// (the passkey/browsertest tests and bench/capture) share: the browser's
// launch options and the script that turns a created WebAuthn credential
// into the JSON of an authn_response.
package chromium

import "github.com/chromedp/chromedp"

// Options are the ExecAllocator options that start Chromium at path
// headless, with the profile in userDataDir and without the background
// traffic of a desktop browser. The sandbox is off: CI containers run as
// root.
func Options(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(userDataDir),
	}
}

// CredentialJSON is a JavaScript function expression that returns the
// PublicKeyCredential of navigator.credentials.create as the object an
// authn_response carries (base64url fields, transports, extension results
// and, when the browser reports it, authenticatorAttachment), as the demo
// page of examples/server sends it.
const CredentialJSON = `(cred) => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const r = {
    id: cred.id, rawId: b64(cred.rawId), type: cred.type,
    response: {
      attestationObject: b64(cred.response.attestationObject),
      clientDataJSON: b64(cred.response.clientDataJSON),
      transports: cred.response.getTransports(),
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  };
  if (cred.authenticatorAttachment) r.authenticatorAttachment = cred.authenticatorAttachment;
  return r;
}`
