package templates

import (
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// DefaultLocale is the locale used when a resident's locale (or its
// language) has no template. Every template has it.
const DefaultLocale = "zh-CN"

// CanonicalLocale writes a locale tag in canonical case with "-" separators:
// "zh_cn" becomes "zh-CN", "zh-hant-tw" becomes "zh-Hant-TW", and a POSIX
// suffix is dropped ("en_US.UTF-8" becomes "en-US"). It never fails: a tag it
// cannot read simply matches no template and falls back to DefaultLocale.
func CanonicalLocale(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return ""
	}
	parts := strings.Split(strings.ReplaceAll(s, "_", "-"), "-")
	for i, p := range parts {
		switch {
		case i == 0:
			parts[i] = strings.ToLower(p)
		case len(p) == 2:
			parts[i] = strings.ToUpper(p)
		case len(p) == 4 && isLetters(p):
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}

// language is the first subtag of a canonical locale: "zh" for "zh-CN".
func language(tag string) string {
	lang, _, _ := strings.Cut(tag, "-")
	return lang
}

// validLocaleDir reports whether name is a locale folder name in canonical
// form: a language of 2-3 letters, then subtags of 2-8 letters or digits.
func validLocaleDir(name string) bool {
	if CanonicalLocale(name) != name {
		return false
	}
	for i, p := range strings.Split(name, "-") {
		if i == 0 && (len(p) < 2 || len(p) > 3 || !isLetters(p)) {
			return false
		}
		if i > 0 && (len(p) < 2 || len(p) > 8 || !isAlnum(p)) {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// The steps of locale fallback, in order.
const (
	stepExact = iota
	stepLanguage
	stepSameLanguage
	stepDefault
	numSteps
)

// find returns t's locale for the given fallback step that has channel ch,
// or nil.
func (t *named) find(step int, tag, lang string, ch outreach.Channel) *localized {
	var l *localized
	switch step {
	case stepExact:
		l = t.locales[tag]
	case stepLanguage:
		l = t.locales[lang]
	case stepSameLanguage:
		for _, name := range t.localeNames {
			if c := t.locales[name]; language(name) == lang && c.parts[ch] != nil {
				return c
			}
		}
	case stepDefault:
		l = t.locales[DefaultLocale]
	}
	if l == nil || l.parts[ch] == nil {
		return nil
	}
	return l
}

// pick chooses the template and locale to render for the requested locale
// and channel among candidates, which are tried in order at each fallback
// step (a variant before its base). Nil candidates are skipped. At each
// step the requested locale comes first, then the locales that the
// configured fallback leads to (see Set.WithLocaleFallback).
func (s *Set) pick(requested string, ch outreach.Channel, candidates ...*named) (*named, *localized) {
	chain := s.fallbackChain(CanonicalLocale(requested))
	for step := range numSteps {
		for i, tag := range chain {
			if step == stepDefault && i > 0 {
				break // the default is one step, not one per locale
			}
			for _, t := range candidates {
				if t == nil {
					continue
				}
				if l := t.find(step, tag, language(tag), ch); l != nil {
					return t, l
				}
			}
		}
	}
	return nil, nil
}
