package templates

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxFallbackHops bounds how far a chain of fallback rules is followed
// (zh-MO=zh-HK, zh-HK=zh-TW, ...); a loop ends where it would repeat.
const maxFallbackHops = 8

// WithLocaleFallback returns a copy of s that, for a resident whose locale
// has no template, tries the locale the rules name before the built-in
// rules: with "zh-HK" -> "zh-TW", a zh-HK resident gets zh-TW where a
// template has it rather than zh-CN. Keys and values are locale tags in any
// case ("zh_hk" reads as "zh-HK"); a key that is a bare language ("fr")
// applies to every locale of that language that has no rule of its own.
// Rules chain: zh-MO=zh-HK and zh-HK=zh-TW send zh-MO to zh-TW.
//
// The order of fallback, per template and channel, is then: the exact
// locale, then the rules' targets exactly; the languages of those, in the
// same order; other locales of those languages; and DefaultLocale last, so
// a message always has a locale to render in.
//
// Every target must be written by at least one template of s (or share its
// language with one): a rule pointing at nothing is a typo, and is
// rejected rather than silently doing nothing. The rules replace any that
// s had; nil or empty removes them.
func (s *Set) WithLocaleFallback(rules map[string]string) (*Set, error) {
	out := &Set{byName: s.byName}
	if len(rules) == 0 {
		return out, nil
	}
	written := map[string]bool{}
	for _, t := range s.byName {
		for _, loc := range t.localeNames {
			written[loc], written[language(loc)] = true, true
		}
	}
	canon := make(map[string]string, len(rules))
	var errs []error
	for _, from := range slices.Sorted(maps.Keys(rules)) {
		to := rules[from]
		f, t := CanonicalLocale(from), CanonicalLocale(to)
		rule := fmt.Sprintf("%s=%s", strings.TrimSpace(from), strings.TrimSpace(to))
		switch {
		case !validLocaleDir(f) || !validLocaleDir(t):
			errs = append(errs, fmt.Errorf("locale fallback %s: want locale tags such as zh-HK=zh-CN", rule))
		case f == t:
			errs = append(errs, fmt.Errorf("locale fallback %s: a locale cannot fall back to itself", rule))
		case canon[f] != "":
			errs = append(errs, fmt.Errorf("locale fallback %s: %s already falls back to %s", rule, f, canon[f]))
		case !written[t] && !written[language(t)]:
			errs = append(errs, fmt.Errorf("locale fallback %s: no template is written in %s or its language (locales: %s)",
				rule, t, strings.Join(s.allLocales(), ", ")))
		default:
			canon[f] = t
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out.fallback = canon
	return out, nil
}

// LocaleFallback returns the configured fallback rules, canonical.
func (s *Set) LocaleFallback() map[string]string { return maps.Clone(s.fallback) }

// fallbackChain is tag followed by the locales the rules lead to.
func (s *Set) fallbackChain(tag string) []string {
	chain := []string{tag}
	if len(s.fallback) == 0 || tag == "" {
		return chain
	}
	for cur := tag; len(chain) <= maxFallbackHops; {
		next, ok := s.fallback[cur]
		if !ok {
			next, ok = s.fallback[language(cur)]
		}
		if !ok || slices.Contains(chain, next) {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

// allLocales lists every locale some template of s is written in.
func (s *Set) allLocales() []string {
	seen := map[string]bool{}
	for _, t := range s.byName {
		for _, loc := range t.localeNames {
			seen[loc] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
