package passkey

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/google/uuid"
	"golang.org/x/net/publicsuffix"

	"github.com/verifykit/verifykit/internal/jsoncompat"
	"github.com/verifykit/verifykit/verify"
)

// WebAuthn Level 3 features of the engine: hints (§5.4.8), related origins
// (§5.11), conditional create (§5.1.3, mediation "conditional") and the
// names of authenticator models by AAGUID.

// Public key credential hints (WebAuthn L3 §5.8.7), as Config.Hints.
const (
	HintSecurityKey  = "security-key"
	HintClientDevice = "client-device"
	HintHybrid       = "hybrid"
)

// MediationConditional is verify.StartRequest.Mediation for a passkey
// upgrade: a conditional create (WebAuthn L3 §5.1.3), which the browser
// runs without a modal dialog right after a password sign-in, so the
// authenticator may report neither user presence nor user verification.
const MediationConditional = "conditional"

// maxRelatedLabels is the number of registrable-domain labels browsers
// must at least honour in a /.well-known/webauthn document (WebAuthn L3
// §5.11.1, maxLabels); origins with further labels are ignored by them.
const maxRelatedLabels = 5

// checkHints validates Config.Hints for typ: known hints, each once, and
// for the two attachment-bound types only hints agreeing with the
// authenticatorAttachment they send (a platform authenticator is a
// client-device; a roaming one a security-key or a phone over hybrid).
func checkHints(typ verify.Type, hints []string) ([]string, error) {
	if hints == nil {
		switch typ {
		case verify.TypeWebAuthnRoaming:
			return []string{HintSecurityKey}, nil
		case verify.TypeWebAuthnPlatform:
			return []string{HintClientDevice}, nil
		}
		return nil, nil
	}
	allowed := []string{HintSecurityKey, HintClientDevice, HintHybrid}
	switch typ {
	case verify.TypeWebAuthnRoaming:
		allowed = []string{HintSecurityKey, HintHybrid}
	case verify.TypeWebAuthnPlatform:
		allowed = []string{HintClientDevice}
	}
	for i, h := range hints {
		if !slices.Contains(allowed, h) {
			return nil, configErrorf("Hints[%d] = %q is not one of %q for %s", i, h, allowed, typ)
		}
		if slices.Contains(hints[:i], h) {
			return nil, configErrorf("Hints[%d] = %q is repeated", i, h)
		}
	}
	return slices.Clone(hints), nil
}

// checkRelatedOrigins validates Config.RelatedOrigins: https serialized
// origins (any site: that is their point), and at most maxRelatedLabels
// registrable-domain labels among them, since browsers would ignore the
// origins of any further label (§5.11.1).
func checkRelatedOrigins(origins []string) error {
	if len(origins) > maxOrigins {
		return configErrorf("RelatedOrigins has %d entries, want at most %d", len(origins), maxOrigins)
	}
	var labels []string
	for _, o := range origins {
		opaque, err := checkOrigin("RelatedOrigins", o, "")
		if err != nil {
			return err
		}
		u, _ := url.Parse(o) // checked by checkOrigin
		if opaque || u.Scheme != "https" {
			return configErrorf("RelatedOrigins entry %q must be an https origin", o)
		}
		site, err := publicsuffix.EffectiveTLDPlusOne(u.Hostname())
		if err != nil {
			return configErrorf("RelatedOrigins entry %q has no registrable domain: %v", o, err)
		}
		label, _, _ := strings.Cut(site, ".")
		labels = appendUnique(labels, label)
	}
	if len(labels) > maxRelatedLabels {
		return configErrorf("RelatedOrigins span %d registrable-domain labels %q; browsers honour only %d (WebAuthn §5.11.1)", len(labels), labels, maxRelatedLabels)
	}
	return nil
}

// WellKnownWebAuthn returns the handler of https://RPID/.well-known/webauthn
// (WebAuthn L3 §5.11), the document by which browsers allow ceremonies for
// the RP ID on the related origins: GET and HEAD answer application/json
// {"origins": [...]}. The origins are checked as Config.RelatedOrigins is;
// give the engines the same list.
func WellKnownWebAuthn(relatedOrigins []string) (http.Handler, error) {
	if len(relatedOrigins) == 0 {
		return nil, configErrorf("WellKnownWebAuthn needs at least one related origin")
	}
	if err := checkRelatedOrigins(relatedOrigins); err != nil {
		return nil, err
	}
	doc, err := json.Marshal(struct {
		Origins []string `json:"origins"`
	}{relatedOrigins}, jsoncompat.SentBytes)
	if err != nil {
		return nil, fmt.Errorf("passkey: encode related origins: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(doc)
	}), nil
}

// AuthenticatorInfo describes an authenticator model, found by its AAGUID.
type AuthenticatorInfo struct {
	Name string
	// IconDark and IconLight are data: URLs of images, as the configured
	// file or metadata statement has them; never a URL to fetch.
	IconDark, IconLight string
}

// AAGUIDNames maps AAGUIDs to authenticator models, from a file in the
// community format of passkey AAGUID lists:
//
//	{"<aaguid>": {"name": "…", "icon_dark": "data:image/…", "icon_light": "data:image/…"}}
//
// Icons that are not data:image URLs are dropped, so that a page showing
// them never fetches anything.
type AAGUIDNames struct {
	byAAGUID map[uuid.UUID]AuthenticatorInfo
}

// MaxAuthenticatorName bounds a name taken from a file or a statement, in
// characters, like a method's name.
const maxAuthenticatorName = 100

// ParseAAGUIDNames parses a file in the community format. An entry whose
// key is not a UUID, is the all-zero AAGUID, or whose name is empty, too
// long or not printable is an error, and so are a repeated key and
// invalid UTF-8. Member names match exactly: "Name" is not "name".
func ParseAAGUIDNames(data []byte) (*AAGUIDNames, error) {
	var raw map[string]struct {
		Name      string `json:"name"`
		IconDark  string `json:"icon_dark"`
		IconLight string `json:"icon_light"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("passkey: AAGUID names: %w", err)
	}
	n := &AAGUIDNames{byAAGUID: make(map[uuid.UUID]AuthenticatorInfo, len(raw))}
	for k, v := range raw {
		id, err := uuid.Parse(k)
		if err != nil || id == uuid.Nil {
			return nil, fmt.Errorf("passkey: AAGUID names: key %q is not a non-zero AAGUID", k)
		}
		if !validName(v.Name) {
			return nil, fmt.Errorf("passkey: AAGUID names: %s: name must be 1 to %d printable characters", k, maxAuthenticatorName)
		}
		n.byAAGUID[id] = AuthenticatorInfo{Name: v.Name, IconDark: dataImage(v.IconDark), IconLight: dataImage(v.IconLight)}
	}
	return n, nil
}

func validName(s string) bool {
	return s != "" && utf8.RuneCountInString(s) <= maxAuthenticatorName && printable(s) && strings.TrimSpace(s) != ""
}

// dataImage keeps a data:image URL and drops anything else.
func dataImage(s string) string {
	if strings.HasPrefix(s, "data:image/") {
		return s
	}
	return ""
}

// Authenticator returns the authenticator model of aaguid (a UUID string,
// as WebAuthnCredential.AAGUID): from Config.Names, else from the MDS
// metadata statement's description when Config.Trust.Metadata has an
// entry. Unknown and all-zero AAGUIDs have none. The AAGUID of a none or
// self attestation is claimed by the client: the name is for display
// only, never a trust decision.
func (e *Engine) Authenticator(ctx context.Context, aaguid string) (AuthenticatorInfo, bool) {
	id, err := uuid.Parse(aaguid)
	if err != nil || id == uuid.Nil {
		return AuthenticatorInfo{}, false
	}
	if n := e.s.names; n != nil {
		if info, ok := n.byAAGUID[id]; ok {
			return info, true
		}
	}
	if mds := e.s.trust.Metadata; mds != nil {
		entry, err := mds.GetEntry(ctx, id)
		if err == nil && entry != nil && validName(entry.MetadataStatement.Description) {
			ms := &entry.MetadataStatement
			info := AuthenticatorInfo{Name: ms.Description}
			if ms.Icon != nil {
				info.IconLight = dataImage(ms.Icon.String())
				info.IconDark = info.IconLight
			}
			if ms.IconDark != nil {
				info.IconDark = dataImage(ms.IconDark.String())
			}
			return info, true
		}
	}
	return AuthenticatorInfo{}, false
}
