// Package mask hides personal data and credentials in text that leaves the
// process through logs and error messages: residents' email addresses and
// phone numbers, tokens in URLs, and passwords in connection URLs. It is
// the one place that decides what a masked value looks like; the email and
// sms packages and the log handlers (package logging) use it.
package mask

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Email hides most of an address: it keeps the first two characters of the
// local part (one when the local part is shorter than four) and the domain,
// so "lisa@example.com" becomes "li***@example.com". Something that is not
// an address becomes "***".
func Email(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "***"
	}
	local := []rune(addr[:at])
	keep := 2
	if len(local) < 4 {
		keep = 1
	}
	return string(local[:keep]) + "***" + addr[at:]
}

// Phone hides most digits of a phone number. For an E.164 number it keeps
// the "+", the country calling code, the last 4 digits and, for national
// numbers of 11 digits or more (Chinese mobiles), the first 3 national
// digits:
//
//	+8613812345678 -> +86138****5678
//	+14155552671   -> +1****2671
//
// The middle is always "****", whatever its length, so the mask does not tell
// how long the number was. National numbers shorter than 8 digits keep only
// the country code. Anything that is not E.164 keeps its last 4 characters
// when it is at least 8 long, and is otherwise replaced by "****".
func Phone(phone string) string {
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

var (
	// emailLike is an address inside free text.
	emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-\p{L}]+@[A-Za-z0-9\-\p{L}]+(?:\.[A-Za-z0-9\-\p{L}]+)+`)
	// e164Like is an international number: "+" and 7 to 15 digits.
	e164Like = regexp.MustCompile(`\+[0-9]{7,15}`)
	// cnMobile is a Chinese mobile number in national form (11 digits
	// starting 13-19), standing alone: not part of a longer run of digits
	// such as a stream entry id ("1764454881234-0") or a timestamp.
	cnMobile = regexp.MustCompile(`(^|[^0-9\-])(1[3-9][0-9]{9})($|[^0-9\-])`)
	// urlSecret is a credential in a URL: userinfo, or a query parameter
	// that carries a key, a token or a signature.
	urlUserinfo = regexp.MustCompile(`://[^/\s@]+@`)
	urlParam    = regexp.MustCompile(`(?i)([?&](?:key|token|access_token|secret|sign|signature|password|sig)=)[^&\s"']+`)
	// unsubscribePath is the signed token of a one-click unsubscribe link.
	unsubscribePath = regexp.MustCompile(`(/unsubscribe/)[^\s/?#"']+`)
	// bearer is an HTTP bearer token.
	bearer = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+`)
)

// Text masks, inside free text (a log message, an error, a provider's
// answer), every email address and phone number, and the credentials of
// URLs (userinfo, key/token/secret/signature parameters, unsubscribe
// tokens) and bearer tokens. Text without '@', '+', "://", "/unsubscribe/",
// "bearer" or a run of 11 digits is returned as it is, cheaply.
func Text(s string) string {
	if !suspicious(s) {
		return s
	}
	s = urlUserinfo.ReplaceAllString(s, "://***@")
	s = urlParam.ReplaceAllString(s, "${1}***")
	s = unsubscribePath.ReplaceAllString(s, "${1}***")
	s = bearer.ReplaceAllString(s, "${1}***")
	s = emailLike.ReplaceAllStringFunc(s, Email)
	s = e164Like.ReplaceAllStringFunc(s, Phone)
	s = cnMobile.ReplaceAllStringFunc(s, func(m string) string {
		sub := cnMobile.FindStringSubmatch(m)
		return sub[1] + Phone(sub[2]) + sub[3]
	})
	return s
}

// suspicious reports whether s may hold something Text masks.
func suspicious(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@' || c == '+' || c == '?' || c == '&':
			return true
		case c >= '0' && c <= '9':
			if run++; run >= 11 {
				return true
			}
			continue
		case c == '/' || c == 'b' || c == 'B':
			if strings.HasPrefix(s[i:], "://") || strings.HasPrefix(s[i:], "/unsubscribe/") ||
				len(s)-i >= 7 && strings.EqualFold(s[i:i+7], "bearer ") {
				return true
			}
		}
		run = 0
	}
	return false
}
