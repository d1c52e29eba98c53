package resident

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidLocale is wrapped by every NormalizeLocale failure.
var ErrInvalidLocale = errors.New("not a locale like zh-CN or en")

// NormalizeLocale checks a BCP 47 style locale tag and writes it in its
// canonical case with "-" separators: "zh_cn" becomes "zh-CN", "ZH-hant-tw"
// becomes "zh-Hant-TW". It accepts a language (2-3 letters), an optional
// script (4 letters) and an optional region (2 letters or 3 digits), which
// covers the locales the templates are written for; anything else (variants,
// extensions, free text such as "Chinese") is an error.
func NormalizeLocale(s string) (string, error) {
	parts := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"), "-")
	if len(parts) > 3 || !isAlpha(parts[0]) || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return "", fmt.Errorf("%w: %q", ErrInvalidLocale, s)
	}
	out := []string{strings.ToLower(parts[0])}
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) == 4 && isAlpha(rest[0]) {
		out = append(out, strings.ToUpper(rest[0][:1])+strings.ToLower(rest[0][1:]))
		rest = rest[1:]
	}
	if len(rest) > 0 {
		r := rest[0]
		switch {
		case len(r) == 2 && isAlpha(r):
			out = append(out, strings.ToUpper(r))
		case len(r) == 3 && isDigits(r):
			out = append(out, r)
		default:
			return "", fmt.Errorf("%w: %q", ErrInvalidLocale, s)
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return "", fmt.Errorf("%w: %q", ErrInvalidLocale, s)
	}
	return strings.Join(out, "-"), nil
}

func isAlpha(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
