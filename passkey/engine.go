package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/google/uuid"

	"github.com/verifykit/verifykit/internal/jsoncompat"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// Engine is the verify.Engine of one WebAuthn method type: passkey,
// webauthn-platform or webauthn-roaming. It is immutable and safe for
// concurrent use.
type Engine struct {
	s       *settings
	methods store.Methods
}

var _ verify.Engine = (*Engine)(nil)

// New validates cfg and returns the engine of typ, one of
// verify.TypePasskey, verify.TypeWebAuthnPlatform and
// verify.TypeWebAuthnRoaming. methods is required: Start reads the user's
// credentials for excludeCredentials and the user handle, Confirm refuses a
// credential id registered to anyone (WebAuthn §7.1 step 26).
func New(typ verify.Type, methods store.Methods, cfg Config) (*Engine, error) {
	if methods == nil {
		return nil, configErrorf("store.Methods is required")
	}
	s, err := newSettings(typ, cfg)
	if err != nil {
		return nil, err
	}
	return &Engine{s: s, methods: methods}, nil
}

// Type returns the method type the engine serves.
func (e *Engine) Type() verify.Type { return e.s.typ }

// RPID returns the relying party id the engine registers credentials for.
func (e *Engine) RPID() string { return e.s.rpID }

// Start creates the credential creation options of WebAuthn §5.4 and
// returns them as AuthnParamsPublicKey (the spec's authn_params_public_key):
// a fresh challenge from crypto/rand; rp; user with the user handle (the
// one of the user's existing credentials for this RP, else 32 fresh random
// bytes) and the subject's names; pubKeyCredParams; a timeout running to
// the auth_session's expiry; excludeCredentials listing the user's
// credentials for this RP unless the request turns it off; and
// authenticatorSelection and attestation per the type and Config. The
// enrollment id is "<type>|new"; the confirmed method gets a fresh id.
func (e *Engine) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	sub := req.Subject
	if sub.ID == "" {
		return nil, verify.NewError(verify.ErrUnauthenticated, "no_subject", "No authenticated user")
	}
	now := e.s.now()
	if !req.ExpiresAt.After(now) {
		return nil, fmt.Errorf("passkey: EngineStart.ExpiresAt %v is not after now", req.ExpiresAt)
	}
	// The identity is the one the service decided (verify.Config.AllowIdentity):
	// the subject's own unless the host approved a linked one.
	identity := req.IdentityOf()
	creds, err := e.credentials(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	handle := existingHandle(creds)
	if handle == nil {
		if handle, err = random(userHandleSize); err != nil {
			return nil, err
		}
	}
	challenge, err := random(e.s.challengeSize)
	if err != nil {
		return nil, err
	}
	name := sub.Username
	if name == "" {
		name = sub.Email
	}
	if name == "" {
		name = sub.ID
	}
	display := sub.Name
	if display == "" {
		display = name
	}
	conditional := false
	switch req.Request.Mediation {
	case "":
	case MediationConditional:
		if e.s.typ != verify.TypePasskey {
			return nil, verify.InvalidField("mediation", "/mediation", "mediation \"conditional\" is only for passkey")
		}
		conditional = true
	default:
		return nil, verify.InvalidField("mediation", "/mediation", `mediation must be "conditional" when present`)
	}
	opts := creationOptions{
		Challenge:              b64.EncodeToString(challenge),
		Timeout:                req.ExpiresAt.Sub(now).Milliseconds(),
		RP:                     rpEntity{ID: e.s.rpID, Name: e.s.rpName},
		User:                   userEntity{ID: b64.EncodeToString(handle), Name: name, DisplayName: display},
		AuthenticatorSelection: authenticatorSelector{UserVerification: e.s.uv},
		Attestation:            e.s.attestation,
	}
	opts.Hints = e.s.hints
	ext := []string{"credProps"}
	opts.Extensions = &creationExtensions{CredProps: true}
	if e.s.requestPRF {
		opts.Extensions.PRF = &struct{}{}
		ext = append(ext, "prf")
	}
	var formats []string
	if e.s.attestation != AttestationNone {
		formats = e.s.formats
		opts.AttestationFormats = formats
	}
	for _, a := range e.s.algs {
		opts.PubKeyCredParams = append(opts.PubKeyCredParams, credParam{Type: "public-key", Alg: a})
	}
	switch e.s.typ {
	case verify.TypePasskey:
		opts.AuthenticatorSelection.ResidentKey = "required"
	case verify.TypeWebAuthnPlatform:
		opts.AuthenticatorSelection.AuthenticatorAttachment = "platform"
	case verify.TypeWebAuthnRoaming:
		opts.AuthenticatorSelection.AuthenticatorAttachment = "cross-platform"
	}
	// SECURITY-CHECKLIST WA-32: the user's credentials are excluded, so an
	// authenticator that holds one refuses to make a second.
	if u := req.Request.UseExcludeCredentials; u == nil || *u {
		for _, c := range creds {
			opts.ExcludeCredentials = append(opts.ExcludeCredentials, credDescriptor{
				Type: "public-key", ID: b64.EncodeToString(c.CredentialID), Transports: c.Transports,
			})
		}
	}
	params, err := json.Marshal(opts, jsoncompat.SentBytes)
	if err != nil {
		return nil, fmt.Errorf("passkey: encode creation options: %w", err)
	}
	return &verify.Challenge{
		State: sealedState{
			Version: stateVersion, Type: e.s.typ, RPID: e.s.rpID, Challenge: challenge, UserHandle: handle,
			UV: e.s.uv, Algs: e.s.algs, Attestation: e.s.attestation, Identity: identity,
			Expires: req.ExpiresAt.UnixMilli(), Formats: formats, Conditional: conditional, Extensions: ext,
		},
		PendingID:            string(e.s.typ) + "|new",
		AuthnParamsPublicKey: params,
	}, nil
}

// credentials returns the subject's WebAuthn credentials for this RP,
// oldest first.
func (e *Engine) credentials(ctx context.Context, subject string) ([]*verify.WebAuthnCredential, error) {
	recs, err := e.methods.List(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("passkey: list methods: %w", err)
	}
	var out []*verify.WebAuthnCredential
	for _, r := range recs {
		if !verify.Type(r.Type).WebAuthn() {
			continue
		}
		m, err := verify.MethodFromRecord(r)
		if err != nil {
			return nil, fmt.Errorf("passkey: %w", err)
		}
		if c := m.WebAuthn; c != nil && c.RelyingPartyID == e.s.rpID && len(c.CredentialID) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// existingHandle returns the user handle of the oldest credential, so that
// one user keeps one handle (WebAuthn §5.4.3: user.id identifies the user
// account).
func existingHandle(creds []*verify.WebAuthnCredential) []byte {
	for _, c := range creds {
		if n := len(c.UserHandle); n > 0 && n <= maxUserHandleSize {
			return c.UserHandle
		}
	}
	return nil
}

func random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("passkey: random: %w", err)
	}
	return b, nil
}

// proofError is the one client-facing error of a response that does not
// verify; reason says which step failed, for logs and events only
// (SECURITY-CHECKLIST GN-08).
func proofError(reason string, cause error) error {
	return &verify.Error{
		Kind: verify.ErrInvalidProof, Reason: reason, Err: cause,
		Detail: "The authenticator response could not be verified",
	}
}

// Confirm performs the relying party steps of WebAuthn Level 3 §7.1 on
// the authn_response in req, against the ceremony sealed by Start. See the
// package documentation for where each step is enforced.
func (e *Engine) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	st, err := decodeState(req.State)
	if err != nil {
		return nil, &verify.Error{Kind: verify.ErrInvalidSession, Reason: "webauthn_state", Detail: "The auth_session is invalid", Err: err}
	}
	// The sealed ceremony belongs to this engine's type and RP; a changed
	// RP ID voids ceremonies started under the old one.
	if st.Type != e.s.typ || st.RPID != e.s.rpID {
		return nil, verify.NewError(verify.ErrInvalidSession, "webauthn_state", "The auth_session is invalid")
	}
	// SECURITY-CHECKLIST WA-09: the ceremony has an expiry, and a zero one is
	// not "forever". (The service also enforces the auth_session's.)
	if st.Expires <= 0 || !e.s.now().Before(time.UnixMilli(st.Expires)) {
		return nil, verify.NewError(verify.ErrExpired, "webauthn_expired", "The auth_session has expired; start the enrollment again")
	}

	// §7.1 steps 1–6 up to the JSON parse: shape, limits, base64url.
	d, err := e.s.decodeResponse(req.Request.AuthnResponse)
	if err != nil {
		return nil, err
	}
	if d.parseable, err = checkClientData(d.clientData); err != nil {
		return nil, proofError("webauthn_client_data", err)
	}
	// §7.1 step 13, bounded: one well-formed CBOR item within cborLimits.
	if err := checkAttestationObject(d.attObj); err != nil {
		return nil, proofError("webauthn_cbor", err)
	}
	ccr := protocol.CredentialCreationResponse{
		PublicKeyCredential: protocol.PublicKeyCredential{
			Credential:              protocol.Credential{ID: b64.EncodeToString(d.rawID), Type: "public-key"},
			RawID:                   d.rawID,
			ClientExtensionResults:  d.extResults,
			AuthenticatorAttachment: d.attachment,
		},
		AttestationResponse: protocol.AuthenticatorAttestationResponse{
			AuthenticatorResponse: protocol.AuthenticatorResponse{ClientDataJSON: d.parseable},
			Transports:            d.transports,
			AttestationObject:     d.attObj,
		},
	}
	// go-webauthn: §7.1 steps 3, 6, 13 (parse), AT flag, authData layout.
	pcc, err := ccr.Parse()
	if err != nil {
		return nil, proofError("webauthn_parse", err)
	}
	// Step 12 hashes the bytes as sent, BOM included.
	pcc.Raw.AttestationResponse.ClientDataJSON = d.clientData

	c := &pcc.Response.CollectedClientData
	// §7.1 step 9: the origin must be one of the configured origins, byte
	// for byte (go-webauthn also compares, case-insensitively).
	if !slices.Contains(e.s.origins, c.Origin) && !slices.Contains(e.s.opaqueOrigins, c.Origin) {
		return nil, proofError("webauthn_origin", nil)
	}
	// §7.1 step 11: a top origin must be one of the configured ones, byte
	// for byte (go-webauthn also checks crossOrigin and compares).
	if c.TopOrigin != "" && !slices.Contains(e.s.topOrigins, c.TopOrigin) {
		return nil, proofError("webauthn_top_origin", nil)
	}
	authData := &pcc.Response.AttestationObject.AuthData
	flags := authData.Flags
	// §7.1 step 17: BS without BE is invalid (go-webauthn checks this only in
	// CreateCredential, which is not used: it reads the wall clock).
	if !flags.HasBackupEligible() && flags.HasBackupState() {
		return nil, proofError("webauthn_backup_flags", nil)
	}
	// §7.1 step 21 (policy): formats not enabled are refused before their
	// verification procedure runs.
	format := pcc.Response.AttestationObject.Format
	if !slices.Contains(e.s.formats, format) {
		return nil, proofError("webauthn_format", nil)
	}
	// WebAuthn L3 §5.4 attestationFormats: a format other than those sent
	// is refused.
	if len(st.Formats) > 0 && !slices.Contains(st.Formats, format) {
		return nil, proofError("webauthn_format", nil)
	}
	// The sealed requirement wins over a later, weaker configuration, and a
	// later, stricter one applies at once (SECURITY-CHECKLIST WA-17).
	uvRequired := st.UV == UVRequired || e.s.uv == UVRequired
	// §7.1 step 15: user presence, unless the session was started as a
	// conditional create (§5.1.3), whose authenticator may skip the
	// gesture; then UV follows ConditionalUserVerification.
	upRequired := !st.Conditional
	if st.Conditional {
		uvRequired = e.s.conditionalUV == UVRequired
	}
	// §7.1 step 20: the algorithms offered, as sealed, still configured.
	params := make([]protocol.CredentialParameter, 0, len(st.Algs))
	for _, a := range st.Algs {
		if slices.Contains(e.s.algs, a) {
			params = append(params, protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(a)})
		}
	}
	alg, err := checkKey(authData.AttData.CredentialPublicKey)
	if err != nil {
		return nil, proofError("webauthn_key", err)
	}
	// The toJSON() copies of authData, the key and its algorithm, when
	// sent, must be what the attestation object holds.
	if err := checkJSONCopies(d, pcc, alg); err != nil {
		return nil, err
	}
	challenge := b64.EncodeToString(st.Challenge)
	// go-webauthn: §7.1 steps 7–11, 12, 14–16, 20–22, and the attestation
	// trust path against Trust.Metadata (steps 23–24) when configured.
	if _, err := pcc.Verify(challenge, e.s.rpID, e.s.origins, e.s.opaqueOrigins, e.s.topOrigins,
		protocol.TopOriginExplicitVerificationMode, e.s.allowCrossOrigin, uvRequired, upRequired,
		e.s.trust.Metadata, params, protocol.AttestationPolicy{}, protocol.SignaturePolicy{}); err != nil {
		return nil, proofError(e.diagnose(pcc, err, challenge, uvRequired, params), err)
	}
	if err := checkFormatPolicy(format, &pcc.Response.AttestationObject); err != nil {
		return nil, proofError("webauthn_attestation", err)
	}
	// §7.1 step 28: extension outputs. Nothing is requested, so client
	// outputs are unsolicited: ignored or refused per Config; authenticator
	// outputs are checked against the (empty) request.
	policy := protocol.UnsolicitedOutputPolicyIgnore
	if e.s.rejectUnsolicited {
		policy = protocol.UnsolicitedOutputPolicyReject
	}
	requested := protocol.SessionExtensions{Requested: st.Extensions}
	if err := pcc.ClientExtensionResults.Verify(requested, protocol.CreateCeremony, policy); err != nil {
		return nil, proofError("webauthn_extensions", err)
	}
	if err := authData.Ext.Verify(requested, protocol.CreateCeremony); err != nil {
		return nil, proofError("webauthn_extensions", err)
	}
	// A passkey must be discoverable (residentKey: required). credProps is
	// unsigned, so it can only make the check stricter (WA-31).
	if p := pcc.ClientExtensionResults.CredProps; e.s.typ == verify.TypePasskey && p != nil && p.RK != nil && !*p.RK {
		return nil, proofError("webauthn_not_discoverable", nil)
	}
	aaguid, err := uuid.FromBytes(authData.AttData.AAGUID)
	if err != nil {
		return nil, proofError("webauthn_parse", err)
	}
	// §7.1 steps 18–19 and 23–24: backup and attestation trust policy.
	attType := pcc.Response.AttestationObject.Type
	if err := e.assessTrust(ctx, format, attType, aaguid, flags); err != nil {
		return nil, err
	}
	credID := authData.AttData.CredentialID
	// §7.1 step 26: registered to nobody. Checked here for a clear error;
	// the store enforces it atomically when the method is saved.
	switch _, err := e.methods.ByCredentialID(ctx, credID); {
	case err == nil:
		return nil, proofError("duplicate_credential", nil)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("passkey: look up credential: %w", err)
	}
	// The user handle sealed at start must still be the user's: a
	// credential confirmed meanwhile under another handle wins.
	creds, err := e.credentials(ctx, req.Subject.ID)
	if err != nil {
		return nil, err
	}
	if h := existingHandle(creds); h != nil && !bytes.Equal(h, st.UserHandle) {
		return nil, &verify.Error{Kind: verify.ErrConflict, Reason: "webauthn_user_handle", Detail: "The user's passkeys changed during the enrollment; start it again"}
	}

	// §7.1 step 27: the credential record.
	cred := &verify.WebAuthnCredential{
		CredentialID:      bytes.Clone(credID),
		PublicKey:         bytes.Clone(authData.AttData.CredentialPublicKey),
		BackupEligible:    flags.HasBackupEligible(),
		BackedUp:          flags.HasBackupState(),
		Transports:        cleanTransports(d.transports),
		UserAgent:         summarizeUserAgent(req.Client.UserAgent),
		UserHandle:        bytes.Clone(st.UserHandle),
		AAGUID:            aaguid.String(),
		RelyingPartyID:    e.s.rpID,
		SignCount:         authData.Counter,
		UserVerified:      flags.HasUserVerified(),
		AttestationFormat: format,
		AttestationType:   attestationTypeName(attType),
		Algorithm:         alg,
	}
	// What the client reports of the credential, unsigned: hints only.
	if p := pcc.ClientExtensionResults.CredProps; p != nil && p.RK != nil {
		cred.CredPropsRK = new(*p.RK)
	}
	if p := pcc.ClientExtensionResults.PRF; p != nil && p.Enabled != nil && slices.Contains(st.Extensions, "prf") {
		cred.PRFEnabled = new(*p.Enabled)
	}
	method := verify.Method{IdentityUserID: st.Identity, Usage: e.s.typ.DefaultUsage(), WebAuthn: cred}
	// The two attachment types have a name in their schema: the
	// authenticator model's, when its AAGUID is known.
	if e.s.typ != verify.TypePasskey {
		if info, ok := e.Authenticator(ctx, cred.AAGUID); ok {
			method.Name = info.Name
		}
	}
	return &verify.Confirmation{
		Method:       method,
		CredentialID: cred.CredentialID,
		Counter:      int64(cred.SignCount),
	}, nil
}

// errKey is the cause of a credential key refused by checkKey.
var errKey = errors.New("passkey: unsupported credential public key")

// checkKey parses the COSE credential public key with go-webauthn and
// returns its algorithm. It refuses keys go-webauthn cannot use and RSA
// moduli under minRSABits, which go-webauthn would accept
// (SECURITY-CHECKLIST WA-30). Curve, point and algorithm consistency are
// go-webauthn's (§7.1 step 20 and its key parsers).
func checkKey(cose []byte) (int64, error) {
	key, err := webauthncose.ParsePublicKey(cose)
	if err != nil {
		return 0, errKey
	}
	switch k := key.(type) {
	case webauthncose.RSAPublicKeyData:
		if new(big.Int).SetBytes(k.Modulus).BitLen() < minRSABits {
			return 0, fmt.Errorf("%w: RSA modulus shorter than %d bits", errKey, minRSABits)
		}
		return k.Algorithm, nil
	case webauthncose.EC2PublicKeyData:
		return k.Algorithm, nil
	case webauthncose.OKPPublicKeyData:
		return k.Algorithm, nil
	}
	return 0, errKey
}

// assessTrust applies Config.Trust (WebAuthn §7.1 steps 18–19, 23–24).
func (e *Engine) assessTrust(ctx context.Context, format, attType string, aaguid uuid.UUID, flags protocol.AuthenticatorFlags) error {
	t := &e.s.trust
	if t.ProhibitBackupEligible && flags.HasBackupEligible() {
		return proofError("webauthn_backup_eligible", nil)
	}
	if slices.Contains(t.DeniedAAGUIDs, aaguid) {
		return proofError("webauthn_aaguid_denied", nil)
	}
	if !t.RequireTrustedAttestation && len(t.AllowedAAGUIDs) == 0 {
		return nil
	}
	trusted, err := e.trusted(ctx, format, attType, aaguid)
	if err != nil {
		return err
	}
	if !trusted {
		return proofError("webauthn_untrusted_attestation", nil)
	}
	if len(t.AllowedAAGUIDs) > 0 && !slices.Contains(t.AllowedAAGUIDs, aaguid) {
		return proofError("webauthn_aaguid_not_allowed", nil)
	}
	return nil
}

// trusted reports whether a verified attestation chains to a trust anchor,
// which is what authenticates its AAGUID: apple and android-key chains are
// verified by go-webauthn against the Apple and Google roots it embeds;
// any other certificate-based attestation only when Trust.Metadata has an
// entry for the AAGUID and validates trust anchors (go-webauthn then
// verified the chain against the entry's roots).
func (e *Engine) trusted(ctx context.Context, format, attType string, aaguid uuid.UUID) (bool, error) {
	switch attType {
	case "basic_full", "attca", "anonca":
	default: // none, basic_surrogate (self)
		return false, nil
	}
	if format == FormatApple || format == FormatAndroidKey {
		return true, nil
	}
	mds := e.s.trust.Metadata
	if mds == nil || !mds.GetValidateTrustAnchor(ctx) {
		return false, nil
	}
	entry, err := mds.GetEntry(ctx, aaguid)
	if err != nil {
		return false, fmt.Errorf("passkey: metadata entry: %w", err)
	}
	return entry != nil && len(entry.MetadataStatement.AttestationRootCertificates) > 0, nil
}

// attestationTypeName maps go-webauthn's metadata attestation types to
// the names of WebAuthn §6.5.4.
func attestationTypeName(t string) string {
	switch t {
	case "none":
		return "None"
	case "basic_surrogate":
		return "Self"
	case "basic_full":
		return "Basic"
	case "attca":
		return "AttCA"
	case "anonca":
		return "AnonCA"
	}
	return t
}

// knownTransports are the AuthenticatorTransport values of WebAuthn §5.8.4.
var knownTransports = []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}

// cleanTransports keeps the known transports, each once, in the client's
// order (SECURITY-CHECKLIST WA-26); "cable" is hybrid's former name.
func cleanTransports(in []string) []string {
	var out []string
	for _, t := range in {
		if t == "cable" {
			t = "hybrid"
		}
		if slices.Contains(knownTransports, t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
