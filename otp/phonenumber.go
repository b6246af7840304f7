package otp

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NumberType is the type of a phone number by its country's numbering
// plan (libphonenumber's PhoneNumberType, as github.com/nyaruka/phonenumbers
// v1.8.1 reports it).
type NumberType string

// Number types.
const (
	NumberFixedLine         NumberType = "fixed_line"
	NumberMobile            NumberType = "mobile"
	NumberFixedLineOrMobile NumberType = "fixed_line_or_mobile"
	NumberTollFree          NumberType = "toll_free"
	NumberPremiumRate       NumberType = "premium_rate"
	NumberSharedCost        NumberType = "shared_cost"
	NumberVoIP              NumberType = "voip"
	NumberPersonal          NumberType = "personal_number"
	NumberPager             NumberType = "pager"
	NumberUAN               NumberType = "uan"
	NumberVoicemail         NumberType = "voicemail"
	NumberUnknown           NumberType = "unknown"
)

var numberTypeOf = map[phonenumbers.PhoneNumberType]NumberType{
	phonenumbers.FIXED_LINE: NumberFixedLine, phonenumbers.MOBILE: NumberMobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: NumberFixedLineOrMobile, phonenumbers.TOLL_FREE: NumberTollFree,
	phonenumbers.PREMIUM_RATE: NumberPremiumRate, phonenumbers.SHARED_COST: NumberSharedCost,
	phonenumbers.VOIP: NumberVoIP, phonenumbers.PERSONAL_NUMBER: NumberPersonal, phonenumbers.PAGER: NumberPager,
	phonenumbers.UAN: NumberUAN, phonenumbers.VOICEMAIL: NumberVoicemail, phonenumbers.UNKNOWN: NumberUnknown,
}

// Default number types per channel (PhoneConfig.SMSNumberTypes and
// VoiceNumberTypes). Premium-rate and shared-cost numbers, the targets of
// toll fraud, are in neither.
var (
	defaultSMSNumberTypes   = []NumberType{NumberMobile, NumberFixedLineOrMobile}
	defaultVoiceNumberTypes = []NumberType{NumberMobile, NumberFixedLineOrMobile, NumberFixedLine}
)

// phoneNumber is a number parsePhone accepted.
type phoneNumber struct {
	E164        string     // canonical form, e.g. "+447911123456"; what is sent to, stored and compared
	CountryCode int        // country calling code, e.g. 44
	Region      string     // ISO 3166-1 alpha-2 region of the number, e.g. "GB"
	Type        NumberType // by the numbering plan
}

// parsePhone validates s as normalizePhone does, then against its
// country's numbering plan (github.com/nyaruka/phonenumbers, the Go port
// of libphonenumber): the number must be valid for its country, and be
// written in canonical E.164 form, digit for digit — "+4407911123456",
// with the trunk prefix 0 after the country code, is refused rather than
// silently rewritten. Errors match errInvalidPhone and never echo s.
func parsePhone(s string) (phoneNumber, error) {
	e164, err := normalizePhone(s)
	if err != nil {
		return phoneNumber{}, err
	}
	n, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return phoneNumber{}, fmt.Errorf("%w: not a number of any numbering plan", errInvalidPhone)
	}
	if !phonenumbers.IsValidNumber(n) {
		return phoneNumber{}, fmt.Errorf("%w: not a valid number for its country", errInvalidPhone)
	}
	canon := phonenumbers.Format(n, phonenumbers.E164)
	if canon != e164 {
		return phoneNumber{}, fmt.Errorf("%w: not in canonical E.164 form (a trunk prefix after the country code?)", errInvalidPhone)
	}
	t, ok := numberTypeOf[phonenumbers.GetNumberType(n)]
	if !ok {
		t = NumberUnknown
	}
	return phoneNumber{E164: canon, CountryCode: int(n.GetCountryCode()), Region: phonenumbers.GetRegionCodeForNumber(n), Type: t}, nil
}

// regionSet validates Config.Countries.
func regionSet(regions []string) (map[string]bool, error) {
	if regions == nil {
		return nil, nil
	}
	if len(regions) == 0 {
		return nil, configErrorf("Countries is empty; nil allows every region")
	}
	supported := phonenumbers.GetSupportedRegions()
	set := make(map[string]bool, len(regions))
	for i, r := range regions {
		if r != strings.ToUpper(r) || !supported[r] {
			return nil, configErrorf("Countries[%d] %q is not a region of the numbering plan (ISO 3166-1 alpha-2, upper case)", i, r)
		}
		set[r] = true
	}
	return set, nil
}

// numberTypes validates a number-type list, nil meaning def.
func numberTypes(name string, ts, def []NumberType) ([]NumberType, error) {
	if ts == nil {
		return def, nil
	}
	if len(ts) == 0 {
		return nil, configErrorf("%s is empty; nil means the default", name)
	}
	known := map[NumberType]bool{}
	for _, t := range numberTypeOf {
		known[t] = true
	}
	for i, t := range ts {
		if !known[t] {
			return nil, configErrorf("%s[%d] %q is not a NumberType", name, i, string(t))
		}
	}
	return append([]NumberType(nil), ts...), nil
}
