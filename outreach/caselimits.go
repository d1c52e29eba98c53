package outreach

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CaseLimits are response-time limits and follow-up delays, by category
// (optionally with an urgency: "lift/urgent") and stage. "*" is every
// category. A limit of 0 is "none" (set to off).
//
// The text form, as OUTREACH_CASE_LIMITS and an estate's case_limits
// write it, is entries separated by ';', each a key, ':' and
// comma-separated stage=period pairs:
//
//	lift: acknowledge=15m, respond=2h, resolve=48h; facility: resolve=24h; */urgent: acknowledge=30m
//
// Stages are acknowledge, respond, resolve and follow_up (the delay after
// resolution before the follow-up and its survey go); periods as
// ParsePeriod reads them, or off.
type CaseLimits map[string]map[string]time.Duration

// DefaultCaseLimits are the practice's service standards: a lift fault
// acknowledged within 15 minutes, answered within 2 hours, with a written
// report within 48 hours; a facility fault repaired within 24 hours;
// everything else acknowledged within 24 hours; the follow-up 24 hours
// after resolution.
var DefaultCaseLimits = CaseLimits{
	string(CaseLift):     {StageAcknowledge: 15 * time.Minute, StageRespond: 2 * time.Hour, StageResolve: 48 * time.Hour},
	string(CaseFacility): {StageResolve: 24 * time.Hour},
	"*":                  {StageAcknowledge: 24 * time.Hour, StageFollowUp: 24 * time.Hour},
}

// ParseCaseLimits reads the text form; "" is no limits (nil).
func ParseCaseLimits(s string) (CaseLimits, error) {
	out := CaseLimits{}
	for entry := range strings.SplitSeq(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, pairs, ok := strings.Cut(entry, ":")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, fmt.Errorf("case limits %q: want category: stage=period, ...", entry)
		}
		if err := checkLimitKey(key); err != nil {
			return nil, fmt.Errorf("case limits %q: %w", entry, err)
		}
		stages := out[key]
		if stages == nil {
			stages = map[string]time.Duration{}
			out[key] = stages
		}
		for pair := range strings.SplitSeq(pairs, ",") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			stage, period, ok := strings.Cut(pair, "=")
			stage, period = strings.TrimSpace(stage), strings.TrimSpace(period)
			if !ok || (!slices.Contains(LimitStages, stage) && stage != StageFollowUp) {
				return nil, fmt.Errorf("case limits %q: %q: want acknowledge, respond, resolve or follow_up = a period", entry, pair)
			}
			if period == "off" {
				stages[stage] = 0
				continue
			}
			d, err := ParsePeriod(period)
			if err != nil {
				return nil, fmt.Errorf("case limits %q: %s: %w", entry, stage, err)
			}
			stages[stage] = d
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func checkLimitKey(key string) error {
	cat, urg, hasUrg := strings.Cut(key, "/")
	if cat != "*" && !CaseCategory(cat).Valid() {
		return fmt.Errorf("category %q: want * or one of %s", cat, joinNames(CaseCategories))
	}
	if hasUrg && !CaseUrgency(urg).Valid() {
		return fmt.Errorf("urgency %q: want one of %s", urg, joinNames(CaseUrgencies))
	}
	return nil
}

// String is the text form, in a stable order.
func (l CaseLimits) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var entries []string
	for _, k := range keys {
		var pairs []string
		for _, st := range append(slices.Clone(LimitStages), StageFollowUp) {
			if d, ok := l[k][st]; ok {
				v := "off"
				if d > 0 {
					v = d.String()
				}
				pairs = append(pairs, st+"="+v)
			}
		}
		entries = append(entries, k+": "+strings.Join(pairs, ", "))
	}
	return strings.Join(entries, "; ")
}

// lookup finds stage for category and urgency in l: the most specific
// entry that names the stage wins.
func (l CaseLimits) lookup(cat CaseCategory, urg CaseUrgency, stage string) (time.Duration, bool) {
	for _, key := range []string{string(cat) + "/" + string(urg), string(cat), "*/" + string(urg), "*"} {
		if d, ok := l[key][stage]; ok {
			return d, true
		}
	}
	return 0, false
}

// Limit is the limit (or follow-up delay) of stage for a case of cat and
// urg under the layers given, most important first (an estate's, the
// daemon's), then DefaultCaseLimits. 0 is no limit.
func Limit(cat CaseCategory, urg CaseUrgency, stage string, layers ...CaseLimits) time.Duration {
	if urg == "" {
		urg = UrgencyNormal
	}
	for _, l := range append(layers, DefaultCaseLimits) {
		if d, ok := l.lookup(cat, urg, stage); ok {
			return d
		}
	}
	return 0
}

// CaseLimitsOf reads the estate's case_limits (nil when it sets none).
func (e Estate) CaseLimitsOf() (CaseLimits, error) {
	l, err := ParseCaseLimits(e.CaseLimits)
	if err != nil {
		return nil, fmt.Errorf("case_limits: %w", err)
	}
	return l, nil
}
