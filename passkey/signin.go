package passkey

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-webauthn/webauthn/protocol"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

var _ verify.Engine = (*Engine)(nil)

// Limits of an assertion's members beyond those registration shares
// (id and rawId maxCredentialIDChars, clientDataJSON
// Config.MaxClientDataJSON; authenticatorData is bounded by
// Config.MaxAttestationObject, which contains the authenticator data of a
// registration).
const (
	// maxSignatureChars bounds authn_response.response.signature in
	// base64url characters: an RSA-8192 signature (1024 bytes) fits.
	maxSignatureChars = 1400
	// maxUserHandleChars bounds authn_response.response.userHandle: the
	// base64url length of maxUserHandleSize bytes.
	maxUserHandleChars = 86
)

// requestOptions is authn_params_public_key of a sign-in, the
// PublicKeyCredentialRequestOptions of WebAuthn §5.5 in their JSON form
// (PublicKeyCredentialRequestOptionsJSON, binary members base64url), ready
// for PublicKeyCredential.parseRequestOptionsFromJSON.
type requestOptions struct {
	Challenge        string           `json:"challenge"`
	Timeout          int64            `json:"timeout"`
	RPID             string           `json:"rpId"`
	AllowCredentials []credDescriptor `json:"allowCredentials"`
	UserVerification string           `json:"userVerification"`
	Hints            []string         `json:"hints,omitempty"` // WebAuthn L3 §5.4.8, as at creation
}

// signInSealed is what Challenge seals into the auth_session for
// Authenticate. Its members differ from sealedState's and it is decoded
// with unknown members refused, so that an enrollment's state never
// decodes as a sign-in's (the service also separates the purposes).
type signInSealed struct {
	Version   int         `json:"v"`
	Purpose   string      `json:"p"` // always signInPurpose
	Type      verify.Type `json:"t"`
	RPID      string      `json:"rp"`
	Challenge string      `json:"c"` // base64url, as clientDataJSON.challenge carries it
	UV        string      `json:"uv"`
	// CredentialID is base64url of the one credential allowed (a step-up);
	// empty for a usernameless sign-in.
	CredentialID string `json:"cid,omitempty"`
	Expires      int64  `json:"exp"` // Unix milliseconds; never zero
}

const (
	signInVersion = 1
	signInPurpose = "webauthn.get"
)

func decodeSignInState(raw []byte) (signInSealed, error) {
	var st signInSealed
	if err := json.Unmarshal(raw, &st, json.RejectUnknownMembers(true)); err != nil {
		return signInSealed{}, errState
	}
	c, err := b64.DecodeString(st.Challenge)
	if st.Version != signInVersion || st.Purpose != signInPurpose || err != nil || len(c) < 16 ||
		len(c) > 256 || st.RPID == "" || st.Expires <= 0 ||
		!slices.Contains([]string{UVRequired, UVPreferred, UVDiscouraged}, st.UV) {
		return signInSealed{}, errState
	}
	if st.CredentialID != "" {
		if id, err := b64.DecodeString(st.CredentialID); err != nil || len(id) > maxCredentialIDLength {
			return signInSealed{}, errState
		}
	}
	return st, nil
}

// Challenge creates the credential request options of WebAuthn §5.5 and
// returns them as AuthnParamsPublicKey: a fresh challenge of
// Config.ChallengeSize bytes from crypto/rand (§7.2 step 1's options),
// the configured RP ID, a timeout running to the auth_session's expiry,
// and userVerification per the type and Config.
//
//   - A step-up (req.Subject set) lists the method's credential, with its
//     transports, in allowCredentials. The method must be of the engine's
//     type and scoped to the engine's RP ID.
//   - A usernameless sign-in (req.Subject zero), for the passkey type
//     only, leaves allowCredentials empty, so that the browser offers
//     every discoverable credential for the RP, also through
//     navigator.credentials.get with mediation "conditional" (autofill);
//     user verification is then required whatever Config says, as the
//     passkey is the only factor.
//
// The challenge, RP ID, UV requirement, allowed credential id and expiry
// are sealed in the state; Authenticate checks against them. Challenge
// reads and writes nothing.
func (e *Engine) Challenge(_ context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	now := e.s.now()
	if !req.ExpiresAt.After(now) {
		return nil, fmt.Errorf("passkey: EngineStart.ExpiresAt %v is not after now", req.ExpiresAt)
	}
	st := signInSealed{
		Version: signInVersion, Purpose: signInPurpose, Type: e.s.typ, RPID: e.s.rpID, UV: e.s.uv,
		Expires: req.ExpiresAt.UnixMilli(),
	}
	opts := requestOptions{
		Timeout: req.ExpiresAt.Sub(now).Milliseconds(), RPID: e.s.rpID, AllowCredentials: []credDescriptor{},
		Hints: e.s.hints,
	}
	if req.Subject.ID == "" {
		if e.s.typ != verify.TypePasskey {
			return nil, verify.NewError(verify.ErrInvalidRequest, "webauthn_usernameless", "Only a passkey signs in without a user")
		}
		st.UV = UVRequired
	} else {
		c, err := e.stepUpCredential(req.Method, req.Record, req.Subject.ID)
		if err != nil {
			return nil, err
		}
		st.CredentialID = b64.EncodeToString(c.CredentialID)
		opts.AllowCredentials = append(opts.AllowCredentials, credDescriptor{
			Type: "public-key", ID: st.CredentialID, Transports: c.Transports,
		})
	}
	challenge, err := random(e.s.challengeSize)
	if err != nil {
		return nil, err
	}
	st.Challenge = b64.EncodeToString(challenge)
	opts.Challenge, opts.UserVerification = st.Challenge, st.UV
	params, err := json.Marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("passkey: encode request options: %w", err)
	}
	return &verify.Challenge{State: st, AuthnParamsPublicKey: params}, nil
}

// stepUpCredential checks that the method a step-up names is a credential
// this engine can check: of its type, owned by subject, with a credential
// id, scoped to its RP ID.
func (e *Engine) stepUpCredential(m verify.Method, rec store.Method, subject string) (*verify.WebAuthnCredential, error) {
	c := m.WebAuthn
	switch {
	case m.Type != e.s.typ || rec.Type != string(e.s.typ) || rec.Subject != subject || c == nil ||
		len(c.CredentialID) == 0 || !bytes.Equal(c.CredentialID, rec.CredentialID):
		return nil, verify.NewError(verify.ErrInvalidRequest, "webauthn_method", "The method is not a credential of this type")
	case c.RelyingPartyID != e.s.rpID:
		return nil, verify.NewError(verify.ErrInvalidRequest, "webauthn_rp_id", "The credential belongs to another relying party")
	}
	return c, nil
}

// decodedAssertion is a syntactically valid assertion, its byte fields
// decoded.
type decodedAssertion struct {
	rawID      []byte
	clientData []byte // as sent, the input of the §7.2 step 21 hash
	parseable  []byte // clientData without a UTF-8 BOM
	authData   []byte
	signature  []byte
	userHandle []byte // nil when absent
	attachment string
	extResults protocol.AuthenticationExtensionsClientOutputs
}

// wireAssertionCredential is authn_response of a sign-in: the members of
// WebAuthn's AuthenticationResponseJSON (§5.1, what
// PublicKeyCredential.toJSON() and @simplewebauthn/browser produce), and no
// other. A null member is absent.
type wireAssertionCredential struct {
	ID                      *string        `json:"id"`
	RawID                   *string        `json:"rawId"`
	Type                    *string        `json:"type"`
	Response                *wireAssertion `json:"response"`
	AuthenticatorAttachment *string        `json:"authenticatorAttachment"`
	ClientExtensionResults  jsontext.Value `json:"clientExtensionResults"`
}

// wireAssertion is AuthenticatorAssertionResponseJSON.
type wireAssertion struct {
	ClientDataJSON    *string `json:"clientDataJSON"`
	AuthenticatorData *string `json:"authenticatorData"`
	Signature         *string `json:"signature"`
	UserHandle        *string `json:"userHandle"`
}

func (s *settings) maxAssertionJSON() int {
	return 2*maxCredentialIDChars + s.maxClientData + s.maxAttObj + maxSignatureChars + maxUserHandleChars + 4096
}

// decodeAssertion checks the shape and size limits of an assertion's
// authn_response, before anything else is decoded, and decodes its
// base64url members. Errors are verify.ErrInvalidRequest naming the member.
func (s *settings) decodeAssertion(raw []byte) (*decodedAssertion, error) {
	if len(raw) == 0 {
		return nil, badField("", "", "authn_response is required")
	}
	if len(raw) > s.maxAssertionJSON() {
		return nil, badField("", "", fmt.Sprintf("authn_response is longer than %d bytes", s.maxAssertionJSON()))
	}
	// json/v2: unknown members, duplicate names and invalid UTF-8 refused.
	var w wireAssertionCredential
	if err := json.Unmarshal(raw, &w, json.RejectUnknownMembers(true)); err != nil {
		return nil, badField("", "", "authn_response must be a PublicKeyCredential assertion object with only its members, each of its type")
	}
	r := w.Response
	type limit struct {
		v     *string
		field string
		max   int
	}
	switch {
	case w.Type == nil:
		return nil, badField(".type", "/type", "type is required")
	case *w.Type != "public-key":
		return nil, badField(".type", "/type", `type must be "public-key"`)
	case r == nil:
		return nil, badField(".response", "/response", "response is required")
	}
	for _, l := range []limit{
		{w.ID, "id", maxCredentialIDChars}, {w.RawID, "rawId", maxCredentialIDChars},
		{r.ClientDataJSON, "response.clientDataJSON", s.maxClientData},
		{r.AuthenticatorData, "response.authenticatorData", s.maxAttObj},
		{r.Signature, "response.signature", maxSignatureChars},
	} {
		if l.v == nil || *l.v == "" {
			return nil, badField("."+l.field, "/"+slashes(l.field), l.field+" is required")
		}
		if len(*l.v) > l.max {
			return nil, badField("."+l.field, "/"+slashes(l.field), fmt.Sprintf("%s is longer than %d characters", l.field, l.max))
		}
	}
	if r.UserHandle != nil && len(*r.UserHandle) > maxUserHandleChars {
		return nil, badField(".response.userHandle", "/response/userHandle", fmt.Sprintf("userHandle is longer than %d characters", maxUserHandleChars))
	}
	if a := w.AuthenticatorAttachment; a != nil && *a != "platform" && *a != "cross-platform" {
		return nil, badField(".authenticatorAttachment", "/authenticatorAttachment", `authenticatorAttachment must be "platform" or "cross-platform"`)
	}
	out := &decodedAssertion{}
	if w.AuthenticatorAttachment != nil {
		out.attachment = *w.AuthenticatorAttachment
	}
	var err error
	if out.rawID, err = b64.DecodeString(*w.RawID); err != nil {
		return nil, badField(".rawId", "/rawId", "rawId is not base64url without padding")
	}
	if *w.ID != b64.EncodeToString(out.rawID) {
		return nil, badField(".id", "/id", "id is not the base64url encoding of rawId")
	}
	for _, f := range []struct {
		in    string
		out   *[]byte
		field string
	}{
		{*r.ClientDataJSON, &out.clientData, "clientDataJSON"},
		{*r.AuthenticatorData, &out.authData, "authenticatorData"},
		{*r.Signature, &out.signature, "signature"},
	} {
		if *f.out, err = b64.DecodeString(f.in); err != nil {
			return nil, badField(".response."+f.field, "/response/"+f.field, f.field+" is not base64url without padding")
		}
	}
	// An empty userHandle is absent (§5.2.2: null when the credential has
	// none); an encoded one must decode to 1 to 64 bytes.
	if r.UserHandle != nil && *r.UserHandle != "" {
		if out.userHandle, err = b64.DecodeString(*r.UserHandle); err != nil {
			return nil, badField(".response.userHandle", "/response/userHandle", "userHandle is not base64url without padding")
		}
	}
	if ext := w.ClientExtensionResults; len(ext) > 0 && string(ext) != "null" {
		if ext.Kind() != '{' || json.Unmarshal(ext, &out.extResults) != nil {
			return nil, badField(".clientExtensionResults", "/clientExtensionResults", "clientExtensionResults must be an object of extension outputs")
		}
	}
	return out, nil
}

func slashes(field string) string {
	return string(bytes.ReplaceAll([]byte(field), []byte("."), []byte("/")))
}

// authenticator data flags (WebAuthn §6.1).
const (
	flagAT = 0x40
	flagED = 0x80
)

// checkAssertionAuthData bounds the authenticator data of an assertion
// before go-webauthn parses it: at least the 37 bytes of rpIdHash, flags
// and signCount; no attested credential data (AT), which an assertion
// never carries; and, when ED is set, extensions that are exactly one
// well-formed CBOR item within cborLimits.
func checkAssertionAuthData(a []byte) error {
	switch {
	case len(a) < 37:
		return errors.New("passkey: authenticator data shorter than 37 bytes")
	case a[32]&flagAT != 0:
		return errors.New("passkey: attested credential data in an assertion")
	case a[32]&flagED != 0:
		return cborMode.Wellformed(a[37:])
	}
	return nil
}

// Authenticate performs the relying party steps of WebAuthn Level 3 §7.2
// "Verifying an Authentication Assertion" on the authn_response of
// req.Request, against the ceremony sealed by Challenge and the stored
// credential: for a step-up the method of req.Record, whose credential
// must be the one allowed; for a usernameless sign-in the method found by
// the assertion's credential id with store.Methods.ByCredentialID, which
// must be of the engine's type and whose user handle the assertion must
// carry. See the package documentation for where each step is enforced.
//
// It returns the method, its record as read, and the new signature
// counter in Confirmation.Counter when the assertion's is non-zero and
// greater than the stored one (the store refuses a counter that is not
// greater, atomically with consuming the auth_session: of two assertions
// with one counter one succeeds). A changed backup state (BS) is in
// Method.WebAuthn.BackedUp. Authenticate only reads the store.
//
// A response that does not verify is verify.ErrInvalidProof with one
// client message whatever failed, an unknown credential included, its
// step in Error.Reason.
func (e *Engine) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	st, err := decodeSignInState(req.State)
	if err != nil || st.Type != e.s.typ || st.RPID != e.s.rpID || (st.CredentialID == "") != (req.Subject.ID == "") {
		return nil, &verify.Error{Kind: verify.ErrInvalidSession, Reason: "webauthn_state", Detail: "The auth_session is invalid", Err: err}
	}
	if !e.s.now().Before(time.UnixMilli(st.Expires)) {
		return nil, verify.NewError(verify.ErrExpired, "webauthn_expired", "The auth_session has expired; start the sign-in again")
	}
	d, err := e.s.decodeAssertion(req.Request.AuthnResponse)
	if err != nil {
		return nil, err
	}
	// §7.2 steps 8–9 up to the JSON parse.
	if d.parseable, err = checkClientData(d.clientData); err != nil {
		return nil, proofError("webauthn_client_data", err)
	}
	if err := checkAssertionAuthData(d.authData); err != nil {
		return nil, proofError("webauthn_auth_data", err)
	}
	car := protocol.CredentialAssertionResponse{
		PublicKeyCredential: protocol.PublicKeyCredential{
			Credential:              protocol.Credential{ID: b64.EncodeToString(d.rawID), Type: "public-key"},
			RawID:                   d.rawID,
			ClientExtensionResults:  d.extResults,
			AuthenticatorAttachment: d.attachment,
		},
		AssertionResponse: protocol.AuthenticatorAssertionResponse{
			AuthenticatorResponse: protocol.AuthenticatorResponse{ClientDataJSON: d.parseable},
			AuthenticatorData:     d.authData,
			Signature:             d.signature,
			UserHandle:            d.userHandle,
		},
	}
	// go-webauthn: the response shape, §7.2 step 9 (parse C) and the
	// authenticator data layout.
	par, err := car.Parse()
	if err != nil {
		return nil, proofError("webauthn_parse", err)
	}
	// Step 21 hashes the bytes as sent, BOM included.
	par.Raw.AssertionResponse.ClientDataJSON = d.clientData

	// §7.2 steps 5–6: the credential, its owner and its user handle.
	m, rec, err := e.assertedCredential(ctx, req, st, d)
	if err != nil {
		return nil, err
	}
	cred := m.WebAuthn
	c := &par.Response.CollectedClientData
	// §7.2 steps 12 and 14 as in registration: origin and top origin byte
	// for byte here (go-webauthn compares them too).
	if !slices.Contains(e.s.origins, c.Origin) && !slices.Contains(e.s.opaqueOrigins, c.Origin) {
		return nil, proofError("webauthn_origin", nil)
	}
	if c.TopOrigin != "" && !slices.Contains(e.s.topOrigins, c.TopOrigin) {
		return nil, proofError("webauthn_top_origin", nil)
	}
	a := &par.Response.AuthenticatorData
	uvRequired := st.UV == UVRequired || e.s.uv == UVRequired
	// go-webauthn: §7.2 steps 10–17 (type "webauthn.get", the challenge in
	// constant time, origin, crossOrigin, topOrigin, rpIdHash, UP, UV when
	// required) and 21–22 (the signature over authData ‖ SHA-256(cData)
	// with the stored COSE key).
	if err := par.Verify(st.Challenge, e.s.rpID, "", e.s.origins, e.s.opaqueOrigins, e.s.topOrigins,
		protocol.TopOriginExplicitVerificationMode, e.s.allowCrossOrigin, uvRequired, true,
		cred.PublicKey, protocol.SignaturePolicy{}); err != nil {
		return nil, proofError(e.diagnoseAssertion(par, st.Challenge, uvRequired), err)
	}
	// §7.2 steps 18–19: BS without BE is invalid; backup eligibility is
	// fixed at registration.
	flags := a.Flags
	if flags.HasBackupEligible() != cred.BackupEligible {
		return nil, proofError("webauthn_backup_eligible_changed", nil)
	}
	if !flags.HasBackupEligible() && flags.HasBackupState() {
		return nil, proofError("webauthn_backup_flags", nil)
	}
	// §7.2 step 20 (extensions): nothing is requested, so client outputs are
	// unsolicited (ignored or refused per Config); authenticator outputs,
	// well-formed and bounded (checkAssertionAuthData), are checked against
	// the empty request by go-webauthn, which ignores them at sign-in.
	policy := protocol.UnsolicitedOutputPolicyIgnore
	if e.s.rejectUnsolicited {
		policy = protocol.UnsolicitedOutputPolicyReject
	}
	if err := par.ClientExtensionResults.Verify(protocol.SessionExtensions{}, protocol.AssertCeremony, policy); err != nil {
		return nil, proofError("webauthn_extensions", err)
	}
	if err := a.Ext.Verify(protocol.SessionExtensions{}, protocol.AssertCeremony); err != nil {
		return nil, proofError("webauthn_extensions", err)
	}
	// §7.2 step 23: the signature counter.
	counter, err := e.checkCounter(ctx, rec, a.Counter)
	if err != nil {
		return nil, err
	}
	// §7.2 step 25 (update): the backup state as now reported.
	cred.BackedUp = flags.HasBackupState()
	return &verify.Confirmation{Method: m, Record: rec, Counter: counter}, nil
}

// assertedCredential finds the credential an assertion names (WebAuthn
// §7.2 steps 5–6) and returns its method, with a WebAuthn credential of
// its own to change, and record. Every refusal is the same proof error.
func (e *Engine) assertedCredential(ctx context.Context, req *verify.EngineConfirm, st signInSealed, d *decodedAssertion) (verify.Method, store.Method, error) {
	var (
		m   verify.Method
		rec store.Method
	)
	if st.CredentialID != "" {
		// Step 5: the credential must be the one allowCredentials listed,
		// which must still be the method's.
		if b64.EncodeToString(d.rawID) != st.CredentialID || !bytes.Equal(d.rawID, req.Record.CredentialID) {
			return m, rec, proofError("webauthn_credential_not_allowed", nil)
		}
		if _, err := e.stepUpCredential(req.Method, req.Record, req.Subject.ID); err != nil {
			return m, rec, proofError("webauthn_credential_not_allowed", err)
		}
		m, rec = req.Method, req.Record
	} else {
		// Step 6, usernameless: the credential is looked up by its id, for
		// whoever owns it; its type must be this engine's.
		var err error
		switch rec, err = e.methods.ByCredentialID(ctx, d.rawID); {
		case errors.Is(err, store.ErrNotFound):
			return m, rec, proofError("webauthn_unknown_credential", nil)
		case err != nil:
			return m, rec, fmt.Errorf("passkey: look up credential: %w", err)
		case rec.Type != string(e.s.typ):
			return m, rec, proofError("webauthn_credential_type", nil)
		}
		if m, err = verify.MethodFromRecord(rec); err != nil {
			return m, rec, fmt.Errorf("passkey: %w", err)
		}
		if m.WebAuthn == nil || m.WebAuthn.RelyingPartyID != e.s.rpID || !bytes.Equal(m.WebAuthn.CredentialID, d.rawID) {
			return m, rec, proofError("webauthn_unknown_credential", nil)
		}
		// A usernameless assertion must name its user (§7.2 step 6: the
		// user handle identifies the account).
		if d.userHandle == nil {
			return m, rec, proofError("webauthn_user_handle", nil)
		}
	}
	// Step 6: a user handle, required usernameless and checked whenever
	// present, must be the one stored with the credential.
	if d.userHandle != nil && subtle.ConstantTimeCompare(d.userHandle, m.WebAuthn.UserHandle) != 1 {
		return m, rec, proofError("webauthn_user_handle", nil)
	}
	cred := *m.WebAuthn
	cred.CredentialID = bytes.Clone(cred.CredentialID)
	cred.Transports = slices.Clone(cred.Transports)
	m.WebAuthn = &cred
	return m, rec, nil
}

// checkCounter applies WebAuthn §7.2 step 23 to the assertion's signature
// counter and returns the counter the store must advance to (zero: leave
// it). Zero stored and received is a credential without a counter.
// Otherwise a counter not greater than the stored one is refused, or,
// with Config.OnCounterRegression, flagged and left unstored.
func (e *Engine) checkCounter(ctx context.Context, rec store.Method, got uint32) (int64, error) {
	switch {
	case got == 0 && rec.Counter == 0:
		return 0, nil
	case int64(got) > rec.Counter:
		return int64(got), nil
	case e.s.onCounter == nil:
		return 0, proofError("webauthn_counter", nil)
	}
	e.s.onCounter(ctx, CounterRegression{Subject: rec.Subject, MethodID: rec.ID, Stored: rec.Counter, Received: got})
	return 0, nil
}

// diagnoseAssertion names, for logs and events, the §7.2 step a response
// go-webauthn refused fails. It decides nothing (SECURITY-CHECKLIST
// GN-08); predicates run in the spec's order.
func (e *Engine) diagnoseAssertion(par *protocol.ParsedCredentialAssertionData, challenge string, uvRequired bool) string {
	c := &par.Response.CollectedClientData
	a := &par.Response.AuthenticatorData
	rpIDHash := sha256.Sum256([]byte(e.s.rpID))
	switch {
	case c.Type != protocol.AssertCeremony: // step 10
		return "webauthn_type"
	case subtle.ConstantTimeCompare([]byte(c.Challenge), []byte(challenge)) != 1: // step 11
		return "webauthn_challenge"
	case c.CrossOrigin && !e.s.allowCrossOrigin: // step 13
		return "webauthn_cross_origin"
	case c.TopOrigin != "" && !c.CrossOrigin: // step 14
		return "webauthn_top_origin"
	case !bytes.Equal(a.RPIDHash, rpIDHash[:]): // step 15
		return "webauthn_rp_id"
	case !a.Flags.HasUserPresent(): // step 16
		return "webauthn_user_presence"
	case uvRequired && !a.Flags.HasUserVerified(): // step 17
		return "webauthn_user_verification"
	}
	return "webauthn_signature" // step 22
}
