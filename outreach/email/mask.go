package email

import "github.com/outreach-dev/outreach/outreach/mask"

// MaskEmail hides most of an address for logs and error texts:
// "lisa@example.com" becomes "li***@example.com" (see mask.Email, the one
// masking rule of the daemon).
func MaskEmail(addr string) string { return mask.Email(addr) }
