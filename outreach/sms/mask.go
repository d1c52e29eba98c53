package sms

import (
	"regexp"

	"github.com/outreach-dev/outreach/outreach/mask"
)

// MaskPhone hides most digits of a phone number so that it can go into logs
// and error strings: "+8613812345678" becomes "+86138****5678" (see
// mask.Phone, the one masking rule of the daemon).
func MaskPhone(phone string) string { return mask.Phone(phone) }

// phoneLike matches what may be a phone number inside a provider's message:
// 7 to 15 digits, with or without a leading "+".
var phoneLike = regexp.MustCompile(`\+?[0-9]{7,15}`)

// maskPhones masks every phone-like run of digits in s.
func maskPhones(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, MaskPhone)
}
