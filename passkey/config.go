package passkey

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"

	"github.com/verifykit/verifykit/verify"
)

// ErrConfig is matched (errors.Is) by every error New returns for a bad
// Config. The message names the field and its allowed range.
var ErrConfig = errors.New("passkey: invalid config")

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// User verification requirements (WebAuthn §5.8.6), as Config.UserVerification.
const (
	UVRequired    = "required"
	UVPreferred   = "preferred"
	UVDiscouraged = "discouraged"
)

// Attestation conveyance preferences (WebAuthn §5.4.7), as Config.Attestation.
// "enterprise" is not offered: it needs a per-RP agreement with the
// authenticator vendor.
const (
	AttestationNone     = "none"
	AttestationIndirect = "indirect"
	AttestationDirect   = "direct"
)

// Attestation statement formats (WebAuthn §8), as Config.Formats.
const (
	FormatNone             = "none"
	FormatPacked           = "packed"
	FormatTPM              = "tpm"
	FormatAndroidKey       = "android-key"
	FormatAndroidSafetyNet = "android-safetynet"
	FormatFIDOU2F          = "fido-u2f"
	FormatApple            = "apple"
)

// COSE algorithm identifiers (IANA COSE Algorithms registry) a credential
// key may use, as Config.Algorithms.
const (
	AlgEdDSA int64 = -8
	AlgES256 int64 = -7
	AlgES384 int64 = -35
	AlgES512 int64 = -36
	AlgPS256 int64 = -37
	AlgPS384 int64 = -38
	AlgPS512 int64 = -39
	AlgRS256 int64 = -257
	AlgRS384 int64 = -258
	AlgRS512 int64 = -259
)

// Limits and defaults of Config, each stated in its field's comment, and
// bounds of a registration's members.
const (
	// defaultChallengeSize is the challenge length in bytes; WebAuthn §13.4.3
	// asks for at least 16, verifykit for at least 32.
	defaultChallengeSize = 32
	minChallengeSize     = 32
	maxChallengeSize     = 64
	// userHandleSize is the length of a generated user handle (user.id) in
	// bytes: random, never derived from the user's identity (WebAuthn
	// §14.6.1), within the 64 bytes §5.4.3 allows.
	userHandleSize = 32
	// maxUserHandleSize is the largest user handle WebAuthn allows (§5.4.3).
	maxUserHandleSize = 64

	// defaultMaxAttestationObject and defaultMaxClientDataJSON are the spec's
	// maxLength of authn_response.response.attestationObject and
	// .clientDataJSON, in base64url characters.
	defaultMaxAttestationObject = 2000
	defaultMaxClientDataJSON    = 1000
	minMaxAttestationObject     = 1000
	maxMaxAttestationObject     = 64 << 10
	minMaxClientDataJSON        = 500
	maxMaxClientDataJSON        = 8 << 10
	// maxCredentialIDLength is the longest credential id WebAuthn §7.1 step 25
	// accepts, in bytes; maxCredentialIDChars is its base64url length, the
	// spec's maxLength of authn_response.id and .rawId.
	maxCredentialIDLength = 1023
	maxCredentialIDChars  = 1364
	// maxTransports bounds authn_response.response.transports; each entry is
	// at most maxTransportChars characters (the spec's maxLength).
	maxTransports     = 16
	maxTransportChars = 100

	// maxOrigins bounds Config.Origins and Config.TopOrigins.
	maxOrigins = 32
	// maxRPNameLen bounds Config.RPName in bytes.
	maxRPNameLen = 256
	// minRSABits is the smallest RSA credential key accepted.
	minRSABits = 2048
)

// Config configures an Engine. The zero value of each optional field is its
// safe default; an out-of-range value is an error naming the range. A Config
// is validated once by New and not used afterwards.
type Config struct {
	// RPID is the relying party id (WebAuthn §5.1.2), a registrable domain
	// suffix of every origin's host such as "example.com" or "localhost".
	// Credentials are scoped to it; authData.rpIdHash must be its SHA-256
	// (§7.1 step 14). Required; IP addresses are refused.
	RPID string
	// RPName is rp.name, shown by some authenticators. Default RPID; at most
	// 256 bytes of printable UTF-8.
	RPName string
	// Origins are the origins a ceremony may run in (§7.1 step 9), each in
	// serialized form exactly as browsers write clientDataJSON.origin:
	// "https://login.example.com", "http://localhost:8080" (http only for
	// localhost), or an Android app origin "android:apk-key-hash:<base64url>".
	// Matched byte for byte: no case folding, no trailing slash, no default
	// port. The host of each web origin must be RPID or a subdomain of it.
	// Required; at most 32. They come from configuration, never from
	// a request header.
	Origins []string
	// AllowCrossOrigin accepts clientDataJSON.crossOrigin = true, a ceremony
	// in a cross-origin iframe (§7.1 step 10). Default false: refused.
	AllowCrossOrigin bool
	// TopOrigins are the top-level origins that may frame a cross-origin
	// ceremony (§7.1 step 11); clientDataJSON.topOrigin must be one of them.
	// Same form as Origins, at most 32; requires AllowCrossOrigin. Default
	// none: a response carrying topOrigin is refused.
	TopOrigins []string
	// RelatedOrigins are origins on other sites from which ceremonies for
	// RPID may run (WebAuthn L3 §5.11, Related Origin Requests): browsers
	// allow them when https://RPID/.well-known/webauthn lists them (serve
	// it with WellKnownWebAuthn and the same list). Each is an https
	// serialized origin, matched byte for byte against
	// clientDataJSON.origin like Origins, and not tied to RPID. At most
	// 32 entries, spanning at most 5 registrable-domain labels
	// (§5.11.1 maxLabels): browsers ignore the origins of further labels,
	// so such a list is refused. Default none.
	RelatedOrigins []string
	// Hints are the public key credential hints (WebAuthn L3 §5.4.8,
	// §5.8.7) sent in the creation and request options, most preferred
	// first: HintSecurityKey, HintClientDevice, HintHybrid. Default
	// [HintSecurityKey] for webauthn-roaming, [HintClientDevice] for
	// webauthn-platform and none for passkey; an empty non-nil slice sends
	// none. For webauthn-platform and webauthn-roaming the hints must agree
	// with the authenticatorAttachment those types keep sending for older
	// browsers (platform: client-device; cross-platform: security-key,
	// hybrid).
	Hints []string
	// ConditionalUserVerification applies to passkey upgrades, passkey
	// starts with Mediation MediationConditional (a conditional create,
	// WebAuthn L3 §5.1.3): such a registration may lack user presence,
	// and with UVPreferred it may lack user verification too. Default
	// UVRequired: a conditional create must still be user-verified. Only
	// a session started as conditional relaxes anything; an ordinary start
	// always requires UP, and UV per UserVerification.
	ConditionalUserVerification string
	// Names names authenticator models by AAGUID (ParseAAGUIDNames), for
	// Engine.Authenticator and the default name of a confirmed
	// webauthn-platform or webauthn-roaming method. MDS metadata
	// statements (Trust.Metadata) are consulted after it. Default none.
	Names *AAGUIDNames
	// RequestPRF asks the client to enable the PRF extension at creation
	// ("prf": {}); whether it did (prf.enabled, unsigned) is recorded in
	// WebAuthnCredential.PRFEnabled. Default false.
	RequestPRF bool
	// UserVerification is the requirement sent in
	// authenticatorSelection.userVerification and enforced on the UV flag
	// (§7.1 step 16) when "required". For passkey: UVRequired (default) or
	// UVPreferred. For webauthn-platform and webauthn-roaming: UVPreferred
	// (default), UVRequired or UVDiscouraged. The requirement is sealed into
	// each auth_session; at confirm the stricter of the sealed and the
	// current requirement applies.
	UserVerification string
	// Attestation is the conveyance preference sent to the client
	// (§5.4.7): AttestationNone, AttestationIndirect or AttestationDirect.
	// Default AttestationNone, or AttestationDirect when Trust needs an
	// attestation (then AttestationNone is an error).
	Attestation string
	// Algorithms are the COSE algorithms offered in pubKeyCredParams, most
	// preferred first (§5.4: the client picks the first it supports).
	// Default [AlgEdDSA, AlgES256, AlgRS256]; allowed: AlgEdDSA, AlgES256,
	// AlgES384, AlgES512, AlgPS256, AlgPS384, AlgPS512, AlgRS256, AlgRS384,
	// AlgRS512, without repetition. The offered list is sealed and a
	// credential key must use one of the offered algorithms that is still
	// configured at confirm (§7.1 step 20).
	Algorithms []int64
	// ChallengeSize is the challenge length in bytes, from crypto/rand.
	// Default 32; range [32, 64].
	ChallengeSize int
	// Formats are the attestation statement formats accepted (§7.1 step 21).
	// Default every supported format but FormatAndroidSafetyNet: none,
	// packed, tpm, android-key, fido-u2f, apple. SafetyNet, shut down by
	// Google in 2025, may be listed explicitly.
	Formats []string
	// Trust is the attestation trust policy (§7.1 steps 23–24). Its zero
	// value trusts nothing and requires nothing: every attestation whose
	// statement verifies is accepted and its AAGUID is recorded as claimed.
	Trust TrustPolicy
	// RejectUnsolicitedExtensions refuses a response carrying client
	// extension outputs that were not requested (§7.1 step 28). Default
	// false: such outputs are ignored, as the spec allows, since browsers
	// and password managers add some on their own.
	RejectUnsolicitedExtensions bool
	// MaxAttestationObject and MaxClientDataJSON bound the base64url lengths
	// of authn_response.response.attestationObject and .clientDataJSON,
	// checked before any decoding. Defaults are the spec's maxLength, 2000
	// and 1000, which fit none, self and short-chain attestations; raise
	// MaxAttestationObject (range [1000, 65536]) to accept the longer
	// certificate chains of TPM and Android Key attestations.
	// MaxClientDataJSON's range is [500, 8192].
	MaxAttestationObject int
	MaxClientDataJSON    int
	// Now is the clock; nil means time.Now. It judges the sealed ceremony
	// expiry and MDS statement dates. (go-webauthn checks certificate
	// validity against the system clock.)
	Now func() time.Time
	// OnCounterRegression, when set, flags rather than refuses a sign-in
	// whose signature counter did not increase (WebAuthn §7.2 step 23: the
	// authenticator may be cloned): the assertion is accepted, the stored
	// counter is left as it is, and OnCounterRegression is called before
	// Authenticate returns. When nil (the default) such an assertion is
	// refused (verify.ErrInvalidProof, reason "webauthn_counter"). A counter
	// of zero stored and received is not a regression: authenticators
	// without a counter (most synced passkeys) always send zero.
	OnCounterRegression func(ctx context.Context, r CounterRegression)
}

// CounterRegression describes a flagged signature counter (see
// Config.OnCounterRegression). It holds no secret.
type CounterRegression struct {
	Subject  string // the owner of the credential
	MethodID string // the method signed in with
	Stored   int64  // the counter stored before this sign-in
	Received uint32 // the counter of the assertion, not greater than Stored
}

// TrustPolicy decides which attestations are trustworthy (WebAuthn §7.1
// steps 23–24). The zero value is "no policy": any attestation whose
// statement verifies is accepted, including none and self attestation.
//
// An AAGUID is only authenticated by an attestation that chains to a trust
// anchor: the FIDO MDS roots of Metadata, or the Apple and Google roots
// go-webauthn builds in for the apple and android-key formats. A none or
// self attestation, or a certificate chain no configured anchor vouches
// for, carries an AAGUID the client chose.
type TrustPolicy struct {
	// Metadata supplies FIDO Metadata Service entries: attestation roots and
	// status reports (see LoadMetadata for a local MDS3 BLOB). When set,
	// every attestation but none is checked against it by go-webauthn: the
	// entry's status (REVOKED and the *_COMPROMISE statuses are refused),
	// its attestation types and, for certificate-based attestation, the
	// chain to the entry's roots.
	Metadata metadata.Provider
	// RequireTrustedAttestation refuses credentials whose attestation does
	// not chain to a trust anchor: none and self attestation, and
	// certificate chains Metadata has no entry for.
	RequireTrustedAttestation bool
	// AllowedAAGUIDs, when not empty, accepts only credentials whose AAGUID
	// is in the list and authenticated by a trusted attestation.
	AllowedAAGUIDs []uuid.UUID
	// DeniedAAGUIDs refuses credentials whose AAGUID, claimed or attested,
	// is in the list. On its own it only stops honest clients: pair it with
	// RequireTrustedAttestation.
	DeniedAAGUIDs []uuid.UUID
	// ProhibitBackupEligible refuses backup-eligible (BE=1, synced)
	// credentials (§7.1 steps 18–19), e.g. for a roaming key that must stay
	// bound to one device.
	ProhibitBackupEligible bool
}

// needsAttestation reports whether p can only be satisfied by an
// attestation statement, so that asking for "none" would be a mistake.
func (p *TrustPolicy) needsAttestation() bool {
	return p.RequireTrustedAttestation || len(p.AllowedAAGUIDs) > 0
}

var (
	defaultAlgorithms = []int64{AlgEdDSA, AlgES256, AlgRS256}
	knownAlgorithms   = []int64{AlgEdDSA, AlgES256, AlgES384, AlgES512, AlgPS256, AlgPS384, AlgPS512, AlgRS256, AlgRS384, AlgRS512}
	defaultFormats    = []string{FormatNone, FormatPacked, FormatTPM, FormatAndroidKey, FormatFIDOU2F, FormatApple}
	knownFormats      = []string{FormatNone, FormatPacked, FormatTPM, FormatAndroidKey, FormatAndroidSafetyNet, FormatFIDOU2F, FormatApple}
)

// settings is a validated Config, with defaults applied.
type settings struct {
	typ               verify.Type
	rpID              string
	rpName            string
	origins           []string // web origins, exact
	opaqueOrigins     []string // android:apk-key-hash:…
	topOrigins        []string
	allowCrossOrigin  bool
	uv                string
	attestation       string
	algs              []int64
	challengeSize     int
	formats           []string
	trust             TrustPolicy
	rejectUnsolicited bool
	maxAttObj         int
	maxClientData     int
	now               func() time.Time
	onCounter         func(context.Context, CounterRegression)

	relatedOrigins []string // also in origins
	hints          []string
	conditionalUV  string
	names          *AAGUIDNames
	requestPRF     bool
}

func newSettings(typ verify.Type, cfg Config) (*settings, error) {
	s := &settings{
		typ: typ, rpID: cfg.RPID, rpName: cfg.RPName, allowCrossOrigin: cfg.AllowCrossOrigin,
		uv: cfg.UserVerification, attestation: cfg.Attestation, challengeSize: cfg.ChallengeSize,
		trust: cfg.Trust, rejectUnsolicited: cfg.RejectUnsolicitedExtensions,
		maxAttObj: cfg.MaxAttestationObject, maxClientData: cfg.MaxClientDataJSON, now: cfg.Now,
		onCounter:     cfg.OnCounterRegression,
		conditionalUV: cfg.ConditionalUserVerification, names: cfg.Names, requestPRF: cfg.RequestPRF,
	}
	if !typ.WebAuthn() {
		return nil, configErrorf("type %q is not one of passkey, webauthn-platform, webauthn-roaming", typ)
	}
	if err := checkRPID(s.rpID); err != nil {
		return nil, err
	}
	if s.rpName == "" {
		s.rpName = s.rpID
	}
	if len(s.rpName) > maxRPNameLen || !printable(s.rpName) {
		return nil, configErrorf("RPName must be 1 to %d bytes of printable UTF-8", maxRPNameLen)
	}
	if len(cfg.Origins) == 0 || len(cfg.Origins) > maxOrigins {
		return nil, configErrorf("Origins has %d entries, want [1, %d]", len(cfg.Origins), maxOrigins)
	}
	for _, o := range cfg.Origins {
		opaque, err := checkOrigin("Origins", o, s.rpID)
		if err != nil {
			return nil, err
		}
		if opaque {
			s.opaqueOrigins = appendUnique(s.opaqueOrigins, o)
		} else {
			s.origins = appendUnique(s.origins, o)
		}
	}
	if err := checkRelatedOrigins(cfg.RelatedOrigins); err != nil {
		return nil, err
	}
	for _, o := range cfg.RelatedOrigins {
		s.relatedOrigins = appendUnique(s.relatedOrigins, o)
		// Every check of clientDataJSON.origin accepts them, registration
		// and sign-in alike.
		s.origins = appendUnique(s.origins, o)
	}
	var err error
	if s.hints, err = checkHints(typ, cfg.Hints); err != nil {
		return nil, err
	}
	switch s.conditionalUV {
	case "":
		s.conditionalUV = UVRequired
	case UVRequired, UVPreferred:
	default:
		return nil, configErrorf("ConditionalUserVerification %q is not one of %q, %q", s.conditionalUV, UVRequired, UVPreferred)
	}
	if len(cfg.TopOrigins) > maxOrigins {
		return nil, configErrorf("TopOrigins has %d entries, want [0, %d]", len(cfg.TopOrigins), maxOrigins)
	}
	if len(cfg.TopOrigins) > 0 && !cfg.AllowCrossOrigin {
		return nil, configErrorf("TopOrigins requires AllowCrossOrigin: a top origin only appears in a cross-origin ceremony")
	}
	for _, o := range cfg.TopOrigins {
		// A top origin may be any site allowed to frame the ceremony, so it
		// is not tied to the RP ID.
		opaque, err := checkOrigin("TopOrigins", o, "")
		if err != nil {
			return nil, err
		}
		if opaque {
			return nil, configErrorf("TopOrigins entry %q is not a web origin", o)
		}
		s.topOrigins = appendUnique(s.topOrigins, o)
	}
	switch {
	case s.uv == "" && typ == verify.TypePasskey:
		s.uv = UVRequired
	case s.uv == "":
		s.uv = UVPreferred
	case typ == verify.TypePasskey && s.uv != UVRequired && s.uv != UVPreferred:
		return nil, configErrorf("UserVerification %q for passkey is not one of %q, %q", s.uv, UVRequired, UVPreferred)
	case s.uv != UVRequired && s.uv != UVPreferred && s.uv != UVDiscouraged:
		return nil, configErrorf("UserVerification %q is not one of %q, %q, %q", s.uv, UVRequired, UVPreferred, UVDiscouraged)
	}
	switch s.attestation {
	case "":
		s.attestation = AttestationNone
		if s.trust.needsAttestation() {
			s.attestation = AttestationDirect
		}
	case AttestationNone:
		if s.trust.needsAttestation() {
			return nil, configErrorf("Attestation %q cannot satisfy Trust.RequireTrustedAttestation or Trust.AllowedAAGUIDs", s.attestation)
		}
	case AttestationIndirect, AttestationDirect:
	default:
		return nil, configErrorf("Attestation %q is not one of %q, %q, %q", s.attestation, AttestationNone, AttestationIndirect, AttestationDirect)
	}
	s.algs = cfg.Algorithms
	if len(s.algs) == 0 {
		s.algs = defaultAlgorithms
	}
	for i, a := range s.algs {
		if !slices.Contains(knownAlgorithms, a) {
			return nil, configErrorf("Algorithms[%d] = %d is not one of %v", i, a, knownAlgorithms)
		}
		if slices.Contains(s.algs[:i], a) {
			return nil, configErrorf("Algorithms[%d] = %d is repeated", i, a)
		}
	}
	s.algs = slices.Clone(s.algs)
	if s.challengeSize == 0 {
		s.challengeSize = defaultChallengeSize
	}
	if s.challengeSize < minChallengeSize || s.challengeSize > maxChallengeSize {
		return nil, configErrorf("ChallengeSize %d out of range [%d, %d] bytes", s.challengeSize, minChallengeSize, maxChallengeSize)
	}
	s.formats = cfg.Formats
	if len(s.formats) == 0 {
		s.formats = defaultFormats
	}
	for i, f := range s.formats {
		if !slices.Contains(knownFormats, f) {
			return nil, configErrorf("Formats[%d] = %q is not one of %q", i, f, knownFormats)
		}
	}
	s.formats = slices.Clone(s.formats)
	s.trust.AllowedAAGUIDs = slices.Clone(s.trust.AllowedAAGUIDs)
	s.trust.DeniedAAGUIDs = slices.Clone(s.trust.DeniedAAGUIDs)
	for _, a := range s.trust.AllowedAAGUIDs {
		if slices.Contains(s.trust.DeniedAAGUIDs, a) {
			return nil, configErrorf("AAGUID %s is both allowed and denied", a)
		}
	}
	if s.trust.RequireTrustedAttestation && !slices.ContainsFunc(s.formats, func(f string) bool {
		return f == FormatApple || f == FormatAndroidKey || s.trust.Metadata != nil && f != FormatNone
	}) {
		return nil, configErrorf("Trust.RequireTrustedAttestation needs Trust.Metadata or the apple or android-key format")
	}
	if s.maxAttObj == 0 {
		s.maxAttObj = defaultMaxAttestationObject
	}
	if s.maxAttObj < minMaxAttestationObject || s.maxAttObj > maxMaxAttestationObject {
		return nil, configErrorf("MaxAttestationObject %d out of range [%d, %d]", s.maxAttObj, minMaxAttestationObject, maxMaxAttestationObject)
	}
	if s.maxClientData == 0 {
		s.maxClientData = defaultMaxClientDataJSON
	}
	if s.maxClientData < minMaxClientDataJSON || s.maxClientData > maxMaxClientDataJSON {
		return nil, configErrorf("MaxClientDataJSON %d out of range [%d, %d]", s.maxClientData, minMaxClientDataJSON, maxMaxClientDataJSON)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// checkRPID accepts a valid domain (ASCII, lowercase, as browsers compare
// it) and refuses IP literals, ports, paths and schemes.
func checkRPID(id string) error {
	if id == "" {
		return configErrorf("RPID is required")
	}
	if err := protocol.ValidateRPID(id); err != nil {
		return configErrorf("RPID %q is not a valid domain: %v", id, err)
	}
	if len(id) > 253 || strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".") {
		return configErrorf("RPID %q is not a valid domain", id)
	}
	for _, label := range strings.Split(id, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return configErrorf("RPID %q is not a valid domain", id)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return configErrorf("RPID %q is not a lowercase ASCII domain (use punycode)", id)
			}
		}
	}
	return nil
}

const androidOriginPrefix = "android:apk-key-hash:"

// checkOrigin validates one configured origin and reports whether it is an
// opaque (Android app) origin. A web origin must be in serialized form and,
// when rpID is set, its host must be rpID or a subdomain of it (WebAuthn
// §5.1.4.1, "is a registrable domain suffix of or is equal to").
func checkOrigin(field, o, rpID string) (opaque bool, err error) {
	if rest, ok := strings.CutPrefix(o, androidOriginPrefix); ok {
		if rest == "" || strings.ContainsFunc(rest, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return false, configErrorf("%s entry %q: the APK key hash must be unpadded base64url", field, o)
		}
		return true, nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" ||
		u.ForceQuery || u.Host == "" || o != u.Scheme+"://"+u.Host {
		return false, configErrorf("%s entry %q is not a serialized origin scheme://host[:port]", field, o)
	}
	if o != strings.ToLower(o) {
		return false, configErrorf("%s entry %q must be lowercase, as browsers serialize origins", field, o)
	}
	host, port := u.Hostname(), u.Port()
	switch {
	case u.Scheme == "https":
		if port == "443" {
			return false, configErrorf("%s entry %q names the default port, which browsers omit", field, o)
		}
	case u.Scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost")):
		if port == "80" {
			return false, configErrorf("%s entry %q names the default port, which browsers omit", field, o)
		}
	default:
		return false, configErrorf("%s entry %q must be https (http only for localhost)", field, o)
	}
	if rpID != "" && host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return false, configErrorf("%s entry %q: host is neither RPID %q nor a subdomain of it", field, o, rpID)
	}
	return false, nil
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
