package config

import (
	"fmt"
	"regexp"
	"strings"
)

// localeTag matches a locale tag as an operator may write it: zh-HK,
// zh_hk, en, zh-Hant-TW. The template engine puts it in canonical case.
var localeTag = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$`)

// parseLocaleFallback reads OUTREACH_LOCALE_FALLBACK: comma-separated
// from=to pairs such as "zh-HK=zh-CN,zh-TW=zh-CN,en-GB=en". Whether each
// target has templates is checked when the templates load.
func parseLocaleFallback(v string) (map[string]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	rules := map[string]string{}
	seen := map[string]string{} // lower-cased from -> as written
	for pair := range strings.SplitSeq(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		from, to, ok := strings.Cut(pair, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		switch {
		case !ok:
			return nil, fmt.Errorf("%q has no \"=\" (want from=to pairs such as zh-HK=zh-CN,en-GB=en)", pair)
		case !localeTag.MatchString(from) || !localeTag.MatchString(to):
			return nil, fmt.Errorf("%q is not a pair of locale tags (want from=to pairs such as zh-HK=zh-CN)", pair)
		case strings.EqualFold(strings.ReplaceAll(from, "_", "-"), strings.ReplaceAll(to, "_", "-")):
			return nil, fmt.Errorf("%q falls back to itself", pair)
		}
		key := strings.ToLower(strings.ReplaceAll(from, "_", "-"))
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s is given twice (%s=%s and %s)", from, prev, rules[prev], pair)
		}
		seen[key] = from
		rules[from] = to
	}
	return rules, nil
}
