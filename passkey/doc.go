// Package passkey implements the verify.Engine of the three WebAuthn method
// types of the My Account API — passkey, webauthn-platform and
// webauthn-roaming — on go-webauthn's transport-free protocol functions
// (github.com/go-webauthn/webauthn v0.18.2: CredentialCreationResponse.Parse
// and ParsedCredentialCreationData.Verify, never its *http.Request entry
// points), with the request bounded before anything is decoded and CBOR
// decoding bounded by fxamacker/cbor limits.
//
// One Engine serves one type; build one per type with New:
//
//	methods := st // a store.Store: the engine reads the user's credentials
//	pk, err := passkey.New(verify.TypePasskey, methods, passkey.Config{
//		RPID:    "example.com",
//		Origins: []string{"https://login.example.com"},
//	})
//	roaming, err := passkey.New(verify.TypeWebAuthnRoaming, methods, passkey.Config{
//		RPID:        "example.com",
//		Origins:     []string{"https://login.example.com"},
//		Attestation: passkey.AttestationDirect,
//		Trust:       passkey.TrustPolicy{ProhibitBackupEligible: true},
//	})
//	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{pk, roaming}, …})
//
// # Ceremony
//
// Start answers the spec's PasskeyCreationResponse: authn_params_public_key
// is the creation options of WebAuthn §5.4 in their JSON form (ready for
// PublicKeyCredential.parseCreationOptionsFromJSON) — a challenge of 32 or
// more bytes from crypto/rand; rp {id, name}; user {id, name, displayName},
// whose id is the user handle; pubKeyCredParams (default EdDSA, ES256,
// RS256: -8, -7, -257); a timeout running to the auth_session's expiry;
// excludeCredentials listing the user's credentials for the RP;
// authenticatorSelection; and the attestation preference. The enrollment id
// is "passkey|new" (or "webauthn-platform|new", "webauthn-roaming|new"),
// so the Location of the start ends in passkey%7Cnew; the confirmed method
// gets a fresh "…|dev_…" id.
//
//   - passkey: residentKey "required", userVerification "required" (or
//     Config.UserVerification "preferred"), usage primary;
//   - webauthn-platform: authenticatorAttachment "platform";
//     webauthn-roaming: "cross-platform"; userVerification per Config
//     (default "preferred"), usage secondary. authenticatorAttachment is not
//     in the spec's AuthenticatorSelection schema (additionalProperties:
//     false), which these two types need to mean anything.
//
// The user handle is 32 random bytes, never derived from the user's
// identity (§14.6.1), and stays the user's: a user who has a WebAuthn
// credential for the RP gets its handle again. Start seals everything
// Confirm depends on into the auth_session — challenge, user handle, UV
// requirement, offered algorithms, RP ID, type, attestation preference,
// identity and expiry — so that a configuration change while a ceremony is
// in flight cannot weaken it: the stricter of the sealed and the current
// UV requirement applies, the algorithms accepted are those offered and
// still configured, and a changed RP ID voids the ceremony.
//
// Confirm returns the method with every field the spec's
// AuthenticationMethodPasskey lists: key_id, public_key (the COSE key as
// attested, base64url), credential_device_type ("multi_device" iff BE),
// credential_backed_up (BS), transports (the known values the client
// reported, each once), user_agent (SummarizeUserAgent of the request's
// User-Agent), user_handle, aaguid, relying_party_id, identity_user_id and
// usage; and, for later sign-ins, the sign count (also
// verify.Confirmation.Counter), the UV flag, the attestation format and
// type, and the COSE algorithm. Confirm only reads the store; the
// verify.Service saves the method atomically with consuming the
// auth_session.
//
// # Security
//
// The relying party steps of WebAuthn Level 3 §7.1 "Registering a New
// Credential", and where each is enforced ("here" is this package; each is
// tested in TestChecklist by its SECURITY-CHECKLIST id):
//
//	step   check                                        where
//	1–2    options: challenge, user handle, exclusions  here (Start)
//	3      a public-key attestation response            here: type "public-key", only the spec's members (strict JSON,
//	                                                    no duplicate member names), id = base64url(rawId) exactly
//	4      client extension results                     step 28
//	5      UTF-8 decode of clientDataJSON               here: invalid UTF-8 refused, a leading BOM stripped for
//	                                                    parsing (and kept in the hashed bytes)
//	6      parse clientDataJSON                         go-webauthn (CollectedClientData; unknown members allowed,
//	                                                    never compared to a template); duplicate members refused here
//	7      type "webauthn.create"                       go-webauthn
//	8      challenge                                    go-webauthn, constant-time against the sealed challenge
//	9      origin                                       here, byte for byte against Config.Origins and
//	                                                    Config.RelatedOrigins (L3 §5.11); go-webauthn also
//	10     crossOrigin                                  go-webauthn (Config.AllowCrossOrigin, default refused)
//	11     topOrigin                                    here, byte for byte against Config.TopOrigins; go-webauthn
//	                                                    also (topOrigin only with crossOrigin)
//	12     hash of the raw clientDataJSON               go-webauthn
//	13     CBOR decode of attestationObject             here: one well-formed item within cborLimits (no trailing
//	                                                    bytes, indefinite lengths or tags, nesting ≤ 4, arrays and
//	                                                    maps ≤ 16); go-webauthn decodes (duplicate keys refused)
//	                                                    and checks the authData layout, AT, ED and leftover bytes
//	14     rpIdHash                                     go-webauthn
//	15     UP                                           go-webauthn; required unless the auth_session was started
//	                                                    as a conditional create (StartRequest.Mediation
//	                                                    "conditional", sealed; L3 §5.1.3)
//	16     UV when required                             go-webauthn, with the requirement decided here (in a
//	                                                    conditional create: Config.ConditionalUserVerification)
//	17     BE = 0 ⇒ BS = 0                              here (go-webauthn checks it only in CreateCredential)
//	18–19  backup eligibility policy                    here (TrustPolicy.ProhibitBackupEligible)
//	20     alg among those offered                      go-webauthn, against the sealed offer ∩ Config.Algorithms;
//	                                                    here the key must parse (curve bound to alg, point on the
//	                                                    curve) and RSA moduli be ≥ 2048 bits
//	21     fmt, case-sensitive                          here (Config.Formats and the sealed attestationFormats,
//	                                                    L3 §5.4) and go-webauthn
//	22     attestation statement                        go-webauthn, for none, packed (self and x5c), tpm,
//	                                                    android-key, android-safetynet, fido-u2f and apple; here a
//	                                                    fido-u2f AAGUID must be zero (§8.6; the U2F signature does
//	                                                    not cover it) and a TPM AIK must not name the FIDO
//	                                                    conformance test vendor (id:FFFFF1D0)
//	23–24  trust anchors, trustworthiness               go-webauthn (TrustPolicy.Metadata: MDS status, attestation
//	                                                    types, chain to the entry's roots); here
//	                                                    RequireTrustedAttestation and the AAGUID lists
//	25     credential id ≤ 1023 bytes                   here (rawId ≤ 1364 characters, before decoding);
//	                                                    go-webauthn (authData)
//	26     registered to nobody                         here (store.Methods.ByCredentialID, for a clear error);
//	                                                    the store, atomically, when the method is saved
//	27     credential record                            here
//	28     extension outputs                            go-webauthn, against the sealed requests (credProps,
//	                                                    prf with Config.RequestPRF) and
//	                                                    Config.RejectUnsolicitedExtensions (default: unsolicited
//	                                                    client outputs ignored); credProps.rk and prf.enabled are
//	                                                    recorded as unsigned hints (WebAuthnCredential.CredPropsRK,
//	                                                    PRFEnabled)
//	29     register only if all succeed                 verify.Service (one atomic store commit)
//
// Beyond the steps: the auth_session's expiry is enforced by the service
// and, from the sealed state, by Confirm with Config.Now (a zero expiry is
// refused, not "forever"); the sealed user handle must still be the user's
// (a credential confirmed meanwhile under another handle makes Confirm
// answer verify.ErrConflict); authn_response is bounded before any
// decoding by the spec's maxLength of each member (id and rawId 1364,
// attestationObject Config.MaxAttestationObject, default 2000,
// clientDataJSON Config.MaxClientDataJSON, default 1000, transports 16
// entries of 100) and as a whole.
//
// Errors: a malformed authn_response is verify.ErrInvalidRequest naming
// the member; a response that does not verify is verify.ErrInvalidProof
// with one message whatever failed, its step in Error.Reason for logs
// ("webauthn_challenge", "webauthn_origin", "webauthn_attestation", …);
// a store failure is wrapped, never reported as a bad proof.
//
// go-webauthn checks certificate validity against the system clock, which
// Config.Now does not replace.
//
// # WebAuthn Level 3
//
//   - Hints (§5.4.8): the creation options carry Config.Hints; by default
//     "security-key" for webauthn-roaming and "client-device" for
//     webauthn-platform, consistent with the authenticatorAttachment those
//     types still send for older browsers; none for passkey.
//   - attestationFormats (§5.4): sent, with Config.Formats in order, when an
//     attestation is requested; sealed, and a response in another format
//     is refused (step 21).
//   - Related origins (§5.11): Config.RelatedOrigins are accepted exactly,
//     like Origins; they must be https and span at most 5
//     registrable-domain labels (§5.11.1), the number browsers honour.
//     WellKnownWebAuthn serves the /.well-known/webauthn document.
//   - Passkey upgrades (conditional create, §5.1.3): a passkey start with
//     StartRequest.Mediation "conditional" seals that mode; only such a
//     session accepts UP=0, and UV=0 only with
//     Config.ConditionalUserVerification "preferred".
//   - Authenticator names: Engine.Authenticator names the model of an
//     AAGUID from Config.Names (the community AAGUID list format) or the
//     MDS statement's description; confirmed webauthn-platform and
//     webauthn-roaming methods take it as their default name. Icons are
//     data: URLs only, from the file or statement, never fetched. The
//     AAGUID of a none or self attestation is the client's claim: a name is
//     for display, never trust.
//
// # Attestation
//
// Every format's statement is verified, with no policy by default: an
// attestation whose statement verifies is accepted whatever its trust path,
// and the AAGUID recorded is the one claimed. An AAGUID is authenticated
// only by an attestation that chains to a trust anchor — go-webauthn's
// built-in Apple and Google roots for apple and android-key, or a FIDO
// Metadata Service entry's roots (TrustPolicy.Metadata, e.g. a local MDS3
// BLOB loaded by LoadMetadataFile). TrustPolicy.RequireTrustedAttestation
// refuses everything else, including none and self attestation;
// TrustPolicy.AllowedAAGUIDs accepts only authenticated AAGUIDs in the list;
// TrustPolicy.DeniedAAGUIDs refuses listed AAGUIDs, claimed or not. With
// Metadata, the MDS entry's status must not be REVOKED, RETIRED,
// USER_VERIFICATION_BYPASS or any *_COMPROMISE. android-safetynet (shut
// down by Google in 2025) is off unless Config.Formats lists it; compound
// (§8.9) is not offered.
package passkey
