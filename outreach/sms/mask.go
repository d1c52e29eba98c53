package sms

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// MaskPhone hides most digits of a phone number so that it can go into logs
// and error strings. For an E.164 number it keeps the "+", the country
// calling code, the last 4 digits and, for national numbers of 11 digits or
// more (Chinese mobiles), the first 3 national digits:
//
//	+8613812345678 -> +86138****5678
//	+14155552671   -> +1****2671
//
// The middle is always "****", whatever its length, so the mask does not tell
// how long the number was. National numbers shorter than 8 digits keep only
// the country code. Anything that is not E.164 keeps its last 4 characters
// when it is at least 8 long, and is otherwise replaced by "****".
func MaskPhone(phone string) string {
	const stars = "****"
	if phone == "" {
		return ""
	}
	cc, national, ok := splitE164(phone)
	if !ok {
		if len(phone) >= 8 {
			return stars + phone[len(phone)-4:]
		}
		return stars
	}
	var b strings.Builder
	b.WriteString("+")
	b.WriteString(cc)
	switch {
	case len(national) >= 11:
		b.WriteString(national[:3])
		b.WriteString(stars)
		b.WriteString(national[len(national)-4:])
	case len(national) >= 8:
		b.WriteString(stars)
		b.WriteString(national[len(national)-4:])
	default:
		b.WriteString(stars)
	}
	return b.String()
}

// splitE164 splits "+<digits>" into its country calling code and national
// number. Calling codes are a prefix code, so at most one of the 1-, 2- and
// 3-digit prefixes is a known code.
func splitE164(phone string) (cc, national string, ok bool) {
	digits, found := strings.CutPrefix(phone, "+")
	if !found || len(digits) < 2 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return "", "", false
	}
	codes := phonenumbers.GetSupportedCallingCodes()
	for n := 1; n <= 3 && n < len(digits); n++ {
		code, err := strconv.Atoi(digits[:n])
		if err == nil && codes[code] {
			return digits[:n], digits[n:], true
		}
	}
	return "", "", false
}

// phoneLike matches what may be a phone number inside a provider's message:
// 7 to 15 digits, with or without a leading "+".
var phoneLike = regexp.MustCompile(`\+?[0-9]{7,15}`)

// maskPhones masks every phone-like run of digits in s.
func maskPhones(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, MaskPhone)
}
