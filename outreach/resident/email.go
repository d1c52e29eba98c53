package resident

import (
	"net/mail"
	"strings"
)

// ValidEmail reports whether s is a bare email address such as
// "li.wei@example.com": what net/mail.ParseAddress accepts, with no display
// name, comment or surrounding space, and a domain that has a dot and is not
// an IP literal. Internationalized addresses (RFC 6532) are accepted.
func ValidEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[")
}
