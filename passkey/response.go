package passkey

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-webauthn/webauthn/protocol"

	"github.com/verifykit/verifykit/verify"
)

// b64 is the strict base64url of WebAuthn's JSON encodings: no padding, no
// standard-alphabet characters, no stray trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// maxResponseJSON bounds the whole authn_response before it is decoded:
// the largest fields the limits allow, plus room for the other members.
func (s *settings) maxResponseJSON() int {
	return 2*maxCredentialIDChars + 3*s.maxAttObj + s.maxClientData + maxTransports*(maxTransportChars+3) + 4096
}

// cborLimits is the decoding mode every attestation object must be
// well-formed under before go-webauthn decodes it (SECURITY-CHECKLIST CB-01,
// CB-03..CB-07): no indefinite lengths (CTAP2 canonical form), no tags, at
// most 4 levels of nesting (attestationObject → attStmt → x5c → certificate),
// small arrays and maps, and exactly one item (no trailing bytes).
// go-webauthn's own mode (webauthncbor) then rejects duplicate map keys.
var cborLimits = cbor.DecOptions{
	DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	IndefLength:      cbor.IndefLengthForbidden,
	TagsMd:           cbor.TagsForbidden,
	MaxNestedLevels:  4,
	MaxArrayElements: 16,
	MaxMapPairs:      16,
}

var cborMode = func() cbor.DecMode {
	m, err := cborLimits.DecMode()
	if err != nil {
		panic(err) // the options are constants
	}
	return m
}()

// wireCredential is authn_response, the spec's
// AuthenticatorAttestationResponse: the members of WebAuthn's
// RegistrationResponseJSON (§5.1), and no other. Pointers tell absent from
// empty.
type wireCredential struct {
	ID                      *string                                         `json:"id"`
	RawID                   *string                                         `json:"rawId"`
	Type                    *string                                         `json:"type"`
	Response                *wireAttestation                                `json:"response"`
	AuthenticatorAttachment *string                                         `json:"authenticatorAttachment"`
	ClientExtensionResults  *protocol.AuthenticationExtensionsClientOutputs `json:"clientExtensionResults"`
}

// wireAttestation is authn_response.response, the spec's
// AuthenticatorAttestationResponseData (additionalProperties: false),
// extended with the members of WebAuthn's
// AuthenticatorAttestationResponseJSON that PublicKeyCredential.toJSON()
// and @simplewebauthn/browser add: authenticatorData, publicKey and
// publicKeyAlgorithm. They are copies of what the attestation object
// holds, never trusted: each present one must equal it (checkJSONCopies).
type wireAttestation struct {
	AttestationObject  *string  `json:"attestationObject"`
	ClientDataJSON     *string  `json:"clientDataJSON"`
	Transports         []string `json:"transports"`
	AuthenticatorData  *string  `json:"authenticatorData"`
	PublicKey          *string  `json:"publicKey"`
	PublicKeyAlgorithm *int64   `json:"publicKeyAlgorithm"`
}

// decoded is a syntactically valid authn_response, its byte fields decoded.
type decoded struct {
	rawID      []byte
	attObj     []byte
	clientData []byte // as sent, the input of the §7.1 step 12 hash
	parseable  []byte // clientData without a UTF-8 BOM, for the JSON parser
	transports []string
	attachment string
	extResults protocol.AuthenticationExtensionsClientOutputs
	// The toJSON() copies, nil when absent: authenticatorData, the SPKI DER
	// publicKey, publicKeyAlgorithm.
	authData  []byte
	publicKey []byte
	alg       *int64
}

const (
	fieldPrefix   = "authn_response"
	pointerPrefix = "/authn_response"
)

func badField(field, pointer, detail string) *verify.Error {
	e := verify.InvalidField(fieldPrefix+field, pointerPrefix+pointer, detail)
	e.Reason = "webauthn_request"
	return e
}

// decodeResponse checks the shape and the spec's size limits of
// authn_response and decodes its base64url fields. Errors are
// verify.ErrInvalidRequest naming the field.
func (s *settings) decodeResponse(raw jsontext.Value) (*decoded, error) {
	if len(raw) == 0 {
		return nil, badField("", "", "authn_response is required")
	}
	if len(raw) > s.maxResponseJSON() {
		return nil, badField("", "", fmt.Sprintf("authn_response is longer than %d bytes", s.maxResponseJSON()))
	}
	if !uniqueJSON(raw) {
		return nil, badField("", "", "authn_response is not a JSON object with unique member names")
	}
	// json/v2: names match exactly, and unknown members are refused at
	// every level: the spec closes response (additionalProperties: false),
	// and verify/httpapi closes the top level too, so that no member is
	// silently ignored. clientExtensionResults is go-webauthn's to decode
	// (its UnmarshalJSON gets the member's bytes).
	var w wireCredential
	if err := json.Unmarshal(raw, &w, json.RejectUnknownMembers(true)); err != nil {
		return nil, badField("", "", "authn_response must be an AuthenticatorAttestationResponse object with only its members, each of its type")
	}
	switch {
	case w.Type == nil:
		return nil, badField(".type", "/type", "type is required")
	case *w.Type != "public-key":
		return nil, badField(".type", "/type", `type must be "public-key"`)
	case w.ID == nil || *w.ID == "":
		return nil, badField(".id", "/id", "id is required")
	case len(*w.ID) > maxCredentialIDChars:
		return nil, badField(".id", "/id", fmt.Sprintf("id is longer than %d characters", maxCredentialIDChars))
	case w.RawID == nil || *w.RawID == "":
		return nil, badField(".rawId", "/rawId", "rawId is required")
	case len(*w.RawID) > maxCredentialIDChars:
		return nil, badField(".rawId", "/rawId", fmt.Sprintf("rawId is longer than %d characters", maxCredentialIDChars))
	case w.Response == nil:
		return nil, badField(".response", "/response", "response is required")
	case w.Response.AttestationObject == nil || *w.Response.AttestationObject == "":
		return nil, badField(".response.attestationObject", "/response/attestationObject", "attestationObject is required")
	case len(*w.Response.AttestationObject) > s.maxAttObj:
		return nil, badField(".response.attestationObject", "/response/attestationObject", fmt.Sprintf("attestationObject is longer than %d characters", s.maxAttObj))
	case w.Response.ClientDataJSON == nil || *w.Response.ClientDataJSON == "":
		return nil, badField(".response.clientDataJSON", "/response/clientDataJSON", "clientDataJSON is required")
	case len(*w.Response.ClientDataJSON) > s.maxClientData:
		return nil, badField(".response.clientDataJSON", "/response/clientDataJSON", fmt.Sprintf("clientDataJSON is longer than %d characters", s.maxClientData))
	case len(w.Response.Transports) > maxTransports:
		return nil, badField(".response.transports", "/response/transports", fmt.Sprintf("transports has more than %d entries", maxTransports))
	case w.Response.AuthenticatorData != nil && len(*w.Response.AuthenticatorData) > s.maxAttObj:
		return nil, badField(".response.authenticatorData", "/response/authenticatorData", fmt.Sprintf("authenticatorData is longer than %d characters", s.maxAttObj))
	case w.Response.PublicKey != nil && len(*w.Response.PublicKey) > s.maxAttObj:
		return nil, badField(".response.publicKey", "/response/publicKey", fmt.Sprintf("publicKey is longer than %d characters", s.maxAttObj))
	}
	for i, t := range w.Response.Transports {
		if len(t) > maxTransportChars {
			return nil, badField(".response.transports", "/response/transports/"+strconv.Itoa(i), fmt.Sprintf("transport is longer than %d characters", maxTransportChars))
		}
	}
	if a := w.AuthenticatorAttachment; a != nil && *a != "platform" && *a != "cross-platform" {
		return nil, badField(".authenticatorAttachment", "/authenticatorAttachment", `authenticatorAttachment must be "platform" or "cross-platform"`)
	}
	out := &decoded{transports: w.Response.Transports}
	if w.AuthenticatorAttachment != nil {
		out.attachment = *w.AuthenticatorAttachment
	}
	var err error
	if out.rawID, err = b64.DecodeString(*w.RawID); err != nil {
		return nil, badField(".rawId", "/rawId", "rawId is not base64url without padding")
	}
	// WebAuthn §5.1: id is base64url(rawId); the canonical form is the only
	// one accepted (SECURITY-CHECKLIST WA-04).
	if *w.ID != b64.EncodeToString(out.rawID) {
		return nil, badField(".id", "/id", "id is not the base64url encoding of rawId")
	}
	if out.attObj, err = b64.DecodeString(*w.Response.AttestationObject); err != nil {
		return nil, badField(".response.attestationObject", "/response/attestationObject", "attestationObject is not base64url without padding")
	}
	if out.clientData, err = b64.DecodeString(*w.Response.ClientDataJSON); err != nil {
		return nil, badField(".response.clientDataJSON", "/response/clientDataJSON", "clientDataJSON is not base64url without padding")
	}
	if w.ClientExtensionResults != nil {
		out.extResults = *w.ClientExtensionResults
	}
	if a := w.Response.AuthenticatorData; a != nil {
		if out.authData, err = b64.DecodeString(*a); err != nil || len(out.authData) == 0 {
			return nil, badField(".response.authenticatorData", "/response/authenticatorData", "authenticatorData is not base64url without padding")
		}
	}
	if k := w.Response.PublicKey; k != nil {
		if out.publicKey, err = b64.DecodeString(*k); err != nil || len(out.publicKey) == 0 {
			return nil, badField(".response.publicKey", "/response/publicKey", "publicKey is not base64url without padding")
		}
	}
	out.alg = w.Response.PublicKeyAlgorithm
	return out, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// errClientData is the cause of every clientDataJSON rejection of
// checkClientData.
var errClientData = errors.New("passkey: malformed clientDataJSON")

// checkClientData performs WebAuthn §7.1 steps 5–6 up to the JSON parse:
// UTF-8 decode, which strips a leading byte order mark (the BOM stays in
// the hashed bytes, step 12), refusing invalid UTF-8 rather than replacing
// it, and refusing duplicate member names so that no other parser can read
// a different origin or challenge from the same bytes (uniqueJSON). The
// members themselves are parsed by go-webauthn into CollectedClientData;
// unknown members are allowed, as step 6's note requires.
func checkClientData(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	if !uniqueJSON(b) {
		return nil, errClientData
	}
	return b, nil
}

// maxJSONDepth bounds the nesting of authn_response and clientDataJSON.
const maxJSONDepth = 16

// uniqueJSON reports whether b is one JSON text of valid UTF-8, nested at
// most maxJSONDepth deep, whose objects have unique member names. It runs
// before go-webauthn decodes clientDataJSON with encoding/json, which
// keeps the last of duplicate members, and bounds the depth of
// authn_response before json/v2 decodes it. The check is jsontext's
// decoder, which refuses duplicate names and invalid UTF-8 by default.
func uniqueJSON(b []byte) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := dec.ReadToken(); err != nil || dec.StackDepth() > maxJSONDepth {
			return false
		}
		if dec.StackDepth() == 0 {
			break
		}
	}
	_, err := dec.ReadToken()
	return err == io.EOF
}

// checkAttestationObject checks that b is exactly one well-formed CBOR
// item within cborLimits (WebAuthn §7.1 step 13's decoding, bounded).
func checkAttestationObject(b []byte) error {
	return cborMode.Wellformed(b)
}
