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
// reported, each once), user_agent (the browser and operating system
// named by the request's User-Agent, e.g. "Chrome 131.0.0 / Mac OS X
// 10.15.7": fixed names and digits only, never other header content),
// user_handle, aaguid, relying_party_id, identity_user_id and usage; and, for later sign-ins, the sign count (also
// verify.Confirmation.Counter), the UV flag, the attestation format and
// type, and the COSE algorithm. Confirm only reads the store; the
// verify.Service saves the method atomically with consuming the
// auth_session.
//
// # Security
//
// The relying party steps of WebAuthn Level 3 §7.1 "Registering a New
// Credential", and where each is enforced ("here" is this package; each is
// tested by a test that carries its SECURITY-CHECKLIST id in a comment;
// SECURITY.md maps each id to its tests):
//
//	step   check                                        where
//	1–2    options: challenge, user handle, exclusions  here (Start)
//	3      a public-key attestation response            here: type "public-key", only the spec's members (json/v2:
//	                                                    names exact, none repeated), id = base64url(rawId) exactly
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
// # Sign-in
//
// The Engine is also the verify.Engine of its type. Challenge answers
// authn_params_public_key with the request options of WebAuthn §5.5 in
// their JSON form (ready for PublicKeyCredential.parseRequestOptionsFromJSON):
// a challenge of Config.ChallengeSize bytes from crypto/rand, rpId from
// Config.RPID, a timeout running to the auth_session's expiry, and
// userVerification as for registration. A step-up lists the method's
// credential, with its transports, in allowCredentials; a usernameless
// sign-in (the passkey type only, EngineStart.Subject zero) leaves it
// empty, so that any discoverable credential of the RP answers, also
// through navigator.credentials.get({mediation: "conditional"}) (autofill),
// and always requires user verification. The challenge, RP ID, UV
// requirement, allowed credential id and expiry are sealed; a sign-in's
// state never decodes as an enrollment's, nor the reverse.
//
// Authenticate performs the relying party steps of WebAuthn Level 3 §7.2
// "Verifying an Authentication Assertion" on go-webauthn's transport-free
// CredentialAssertionResponse.Parse and ParsedCredentialAssertionData.Verify
// (never its *http.Request entry points). Each step, where it is enforced,
// and its test (TestX is in signin_test.go unless named otherwise):
//
//	step   check                                   where                                      test
//	1–2    options, get()                          here (Challenge)                           TestChallengeOptionsListTheCredentialForAStepUpAndNoneUsernameless
//	3      an assertion response                   here: type "public-key", only the members  TestMalformedAssertionsAreRefusedBeforeParsing
//	                                               of AuthenticationResponseJSON (json/v2,
//	                                               unknown and duplicate members refused),
//	                                               id = base64url(rawId), each member bounded
//	4      client extension results                step 20
//	5      credential in allowCredentials          here: the sealed credential id, which      TestAssertionStepMutationsAreRefused ("other credential")
//	                                               must still be the method's
//	6      the user and the credential record      here: step-up, the method read by the      TestUsernamelessSignInFindsTheOwnerByCredentialID,
//	                                               service for the subject, userHandle        TestUsernamelessAssertionMustCarryTheStoredUserHandle,
//	                                               checked when present; usernameless,        TestCredentialOfAnotherTypeIsRefused,
//	                                               store.Methods.ByCredentialID, of this      TestUnknownCredentialAndBadSignatureAnswerAlike
//	                                               type and RP, userHandle required; both
//	                                               compared in constant time
//	7      cData, authData, sig                    here: base64url, bounded; authData ≥ 37    TestMalformedAssertionsAreRefusedBeforeParsing
//	                                               bytes, AT clear, extensions one CBOR item
//	                                               within cborLimits
//	8      UTF-8 decode of cData                   here, as in registration (BOM stripped     TestMalformedAssertionsAreRefusedBeforeParsing
//	                                               for parsing, kept in the hashed bytes)
//	9      parse cData                             go-webauthn; duplicate members refused     FuzzAssertionResponse
//	                                               here
//	10     type "webauthn.get"                     go-webauthn                                TestAssertionStepMutationsAreRefused
//	11     challenge                               go-webauthn, constant-time against the     TestAssertionStepMutationsAreRefused
//	                                               sealed challenge
//	12     origin                                  here, byte for byte (Config.Origins);      TestAssertionStepMutationsAreRefused
//	                                               go-webauthn also
//	13     crossOrigin                             go-webauthn (Config.AllowCrossOrigin)      TestCrossOriginAssertionIsRefusedByDefault
//	14     topOrigin                               here, byte for byte (Config.TopOrigins);   TestAssertionStepMutationsAreRefused
//	                                               go-webauthn also
//	15     rpIdHash                                go-webauthn                                TestAssertionStepMutationsAreRefused
//	16     UP                                      go-webauthn (always required)              TestAssertionStepMutationsAreRefused
//	17     UV when required                        go-webauthn, the stricter of the sealed    TestUserVerificationIsRequiredForPasskeysAndPerConfigForOthers
//	                                               and the configured requirement
//	18     BE = 0 ⇒ BS = 0                         here                                       TestBackupEligibilityChangeIsRefused
//	19     BE as registered                        here (a change is refused)                 TestBackupEligibilityChangeIsRefused
//	20     extension outputs                       go-webauthn: client outputs per            TestUnsolicitedExtensionsAtSignIn
//	                                               Config.RejectUnsolicitedExtensions;
//	                                               authenticator outputs ignored
//	21     hash of the raw cData                   go-webauthn                                TestMalformedAssertionsAreRefusedBeforeParsing (BOM)
//	22     signature with the stored key           go-webauthn (the stored COSE key)          TestAssertionStepMutationsAreRefused,
//	                                                                                          TestW3CAuthenticationVectorsSignIn
//	23     signature counter                       here: not greater (when either is          TestSignatureCounterRegressionIsRefusedByDefault,
//	                                               non-zero) refused, or flagged with         TestSignatureCounterRegressionIsFlaggedWhereConfigured,
//	                                               Config.OnCounterRegression; the store      TestZeroCounterIsAllowedAndNotWritten,
//	                                               refuses a counter not greater, atomically  TestReplayedAssertionIsRefused
//	                                               (store.ErrStale)
//	24     attestation in an assertion             not requested; an attestationObject        TestMalformedAssertionsAreRefusedBeforeParsing
//	                                               member is refused
//	25     update the credential record            here: Confirmation.Counter (non-zero     TestBackupStateChangeIsRecorded
//	                                               only), Method.WebAuthn.BackedUp (BS, the
//	                                               spec's credential_backed_up)
//	26     succeed only if all succeed             verify.Service (one atomic store.SignIn)
//
// An unknown credential id, a credential of another type and a bad
// signature answer with the same error (verify.ErrInvalidProof, one
// message; the step in Error.Reason for logs). A replayed assertion fails
// on the auth_session's single use (the service) and, for a counting
// authenticator, on its counter. FuzzAssertionResponse and
// FuzzAssertionAuthenticatorData (signin_fuzz_test.go) fuzz the parser.
//
// # The browser's JSON
//
// authn_response may be what PublicKeyCredential.toJSON() or
// @simplewebauthn/browser return. A registration's response may carry,
// beside the spec's attestationObject, clientDataJSON and transports, the
// copies authenticatorData, publicKey (SPKI DER) and publicKeyAlgorithm:
// each, when present, is bounded (Config.MaxAttestationObject characters)
// and must equal what the attestation object holds, else the request is
// refused (verify.ErrInvalidRequest naming the member). An assertion is
// AuthenticationResponseJSON: id, rawId, type, response {clientDataJSON,
// authenticatorData, signature, userHandle}, authenticatorAttachment and
// clientExtensionResults; a null member is absent.
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
//     registrable-domain labels (§5.11.1), the number browsers honour: a
//     list that breaks either rule is refused at configuration (New).
//     WellKnownWebAuthn serves the /.well-known/webauthn document.
//   - Passkey upgrades (conditional create, §5.1.3): a passkey start with
//     StartRequest.Mediation "conditional" seals that mode; only such a
//     session accepts UP=0, and UV=0 only with
//     Config.ConditionalUserVerification "preferred". An ordinary start
//     still requires UP, and UV for a passkey (steps 15 and 16).
//   - Authenticator names: Engine.Authenticator names the model of an
//     AAGUID from Config.Names (the community AAGUID list format) or the
//     MDS statement's description; confirmed webauthn-platform and
//     webauthn-roaming methods take it as their default name. Icons are
//     data: URLs only, from the file or statement, never fetched. Unknown
//     AAGUIDs and the all-zero AAGUID have no name. The AAGUID of a none
//     or self attestation is the client's claim: a name is for display,
//     never trust.
//   - What the client reports (step 28): credProps.rk and, when
//     Config.RequestPRF asked for it, prf.enabled are recorded with the
//     credential as unsigned hints (WebAuthnCredential.CredPropsRK,
//     PRFEnabled) for the host; no check relies on them, and the HTTP
//     bodies stay as the spec has them.
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
