package passkey

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
)

var (
	errU2FAAGUID  = errors.New("passkey: fido-u2f attestation with a non-zero AAGUID")
	errTPMVendor  = errors.New("passkey: tpm attestation by the FIDO conformance test vendor")
	oidSAN        = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidTPMVendor  = asn1.ObjectIdentifier{2, 23, 133, 2, 1}
	tpmTestVendor = "FFFFF1D0"
)

// checkFormatPolicy adds to go-webauthn's verification procedures two
// rules it does not apply (SECURITY-CHECKLIST AF-08, AF-11):
//   - fido-u2f: the client synthesises the authenticator data of a U2F
//     device with an all-zero AAGUID (WebAuthn §8.6), so any other value
//     did not come from that procedure;
//   - tpm: an AIK certificate naming the FIDO Alliance's conformance test
//     vendor (id:FFFFF1D0), which go-webauthn lists as a manufacturer, is
//     not a production TPM.
func checkFormatPolicy(format string, a *protocol.AttestationObject) error {
	switch format {
	case FormatFIDOU2F:
		for _, b := range a.AuthData.AttData.AAGUID {
			if b != 0 {
				return errU2FAAGUID
			}
		}
	case FormatTPM:
		x5c, _ := a.AttStatement["x5c"].([]any)
		if len(x5c) == 0 {
			return errTPMVendor // verified already; cannot happen
		}
		der, _ := x5c[0].([]byte)
		cert, err := x509.ParseCertificate(der)
		if err != nil || strings.EqualFold(tpmManufacturer(cert), tpmTestVendor) {
			return errTPMVendor
		}
	}
	return nil
}

// tpmManufacturer returns the TCG manufacturer id (without "id:") of the
// directoryName in an AIK certificate's subject alternative name.
func tpmManufacturer(cert *x509.Certificate) string {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		var names []asn1.RawValue
		if rest, err := asn1.Unmarshal(ext.Value, &names); err != nil || len(rest) > 0 {
			return ""
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 4 {
				continue
			}
			var dn pkix.RDNSequence
			if _, err := asn1.Unmarshal(n.Bytes, &dn); err != nil {
				return ""
			}
			for _, rdn := range dn {
				for _, atv := range rdn {
					if s, ok := atv.Value.(string); ok && atv.Type.Equal(oidTPMVendor) {
						return strings.TrimPrefix(s, "id:")
					}
				}
			}
		}
	}
	return ""
}
