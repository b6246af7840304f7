package passkey

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/metadata/providers/memory"
)

// maxMetadataBlob bounds the size of an MDS3 BLOB LoadMetadata reads (64 MiB).
const maxMetadataBlob = 64 << 20

// ErrMetadata is matched (errors.Is) by every error LoadMetadata and
// LoadMetadataFile return.
var ErrMetadata = errors.New("passkey: invalid metadata BLOB")

// MetadataOptions configures LoadMetadata.
type MetadataOptions struct {
	// RootCertificate is the certificate the BLOB's signing chain must end
	// in, PEM or base64 DER. Default: the FIDO Alliance MDS3 root
	// (GlobalSign Root R46, go-webauthn's metadata.ProductionMDSRoot).
	RootCertificate string
	// AllowStale loads a BLOB whose nextUpdate date has passed. Default
	// false: a stale BLOB may miss a recent compromise report, so it is
	// refused and the host must fetch a current one (FIDO MDS3 §3.1.7).
	AllowStale bool
	// Now is the clock for the nextUpdate check; nil means time.Now.
	Now func() time.Time
}

// Metadata is a FIDO Metadata Service BLOB loaded by LoadMetadata, usable
// as TrustPolicy.Metadata: a go-webauthn memory provider that, for every
// attestation but none whose AAGUID has an entry, validates the entry's
// status reports (refusing REVOKED, RETIRED and the *_COMPROMISE and
// USER_VERIFICATION_BYPASS statuses), its attestation types and the
// certificate chain to its attestation roots. An AAGUID without an entry
// passes the provider; TrustPolicy.RequireTrustedAttestation refuses it.
type Metadata struct {
	metadata.Provider
	// Number is the BLOB's serial number ("no").
	Number int
	// NextUpdate is when the FIDO Alliance publishes the next BLOB.
	NextUpdate time.Time
	// Entries is the number of metadata entries loaded.
	Entries int
}

// LoadMetadataFile reads an MDS3 BLOB from path (as downloaded from
// https://mds3.fidoalliance.org/) and loads it with LoadMetadata.
func LoadMetadataFile(path string, opts MetadataOptions) (*Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	defer f.Close()
	blob, err := io.ReadAll(io.LimitReader(f, maxMetadataBlob+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	return LoadMetadata(blob, opts)
}

// LoadMetadata verifies an MDS3 BLOB, a JWT, with go-webauthn's metadata
// decoder: the JWS signature by the x5c header's leaf, the chain to
// opts.RootCertificate (certificates carrying CRL or OCSP addresses are
// also checked for revocation online, soft-failing, by go-webauthn), and
// every entry's syntax. A BLOB is at most 64 MiB. Any failure is an
// error: a BLOB that does not verify is never used partially.
func LoadMetadata(blob []byte, opts MetadataOptions) (*Metadata, error) {
	if len(blob) == 0 || len(blob) > maxMetadataBlob {
		return nil, fmt.Errorf("%w: size %d out of range [1, %d]", ErrMetadata, len(blob), maxMetadataBlob)
	}
	var dopts []metadata.DecoderOption
	if opts.RootCertificate != "" {
		root, err := normalizeRoot(opts.RootCertificate)
		if err != nil {
			return nil, err
		}
		dopts = append(dopts, metadata.WithRootCertificate(root))
	}
	dec, err := metadata.NewDecoder(dopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	payload, err := decodeBlob(dec, blob)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	md, err := dec.Parse(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if next := md.Parsed.NextUpdate; !opts.AllowStale && now().After(next.Add(24*time.Hour)) {
		return nil, fmt.Errorf("%w: stale: nextUpdate %s has passed", ErrMetadata, next.Format(time.DateOnly))
	}
	p, err := memory.New(
		memory.WithMetadata(md.ToMap()),
		memory.WithMetadataKeyIdentifiers(md.ToKeyIdentifierMap()),
		memory.WithValidateEntry(false),
		memory.WithValidateEntryPermitZeroAAGUID(false),
		memory.WithValidateTrustAnchor(true),
		memory.WithValidateStatus(true),
		memory.WithValidateAttestationTypes(true),
		memory.WithStatusUndesired(metadata.DefaultUndesiredAuthenticatorStatuses()),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	return &Metadata{Provider: p, Number: md.Parsed.Number, NextUpdate: md.Parsed.NextUpdate, Entries: len(md.Parsed.Entries)}, nil
}

// decodeBlob runs the decoder, turning a panic on hostile input into an
// error (go-webauthn has fixed such panics before, c5fd013).
func decodeBlob(dec *metadata.Decoder, blob []byte) (p *metadata.PayloadJSON, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return dec.DecodeBytes(blob)
}

// normalizeRoot returns the base64 DER go-webauthn's decoder expects.
func normalizeRoot(s string) (string, error) {
	if b, _ := pem.Decode([]byte(s)); b != nil {
		if b.Type != "CERTIFICATE" {
			return "", fmt.Errorf("%w: RootCertificate PEM block is %q, not CERTIFICATE", ErrMetadata, b.Type)
		}
		return base64.StdEncoding.EncodeToString(b.Bytes), nil
	}
	s = strings.TrimSpace(s)
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return "", fmt.Errorf("%w: RootCertificate is neither PEM nor base64 DER", ErrMetadata)
	}
	return s, nil
}
