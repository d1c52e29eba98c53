package email

import "strings"

// MaskEmail hides most of an address for logs and error texts: it keeps the
// first two characters of the local part (one when the local part is
// shorter than four) and the domain, so "lisa@example.com" becomes
// "li***@example.com". Something that is not an address becomes "***".
func MaskEmail(addr string) string {
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
