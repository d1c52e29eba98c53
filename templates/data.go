package templates

import (
	"strings"
	"time"
)

// newData is what a template sees: maps all the way down, so that a missing
// key fails the render (missingkey=error) instead of printing "<no value>".
func newData(in Input, locale string) map[string]any {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	return map[string]any{
		"Resident": residentData(in),
		"Data":     cleanData(in.Data),
		"Locale":   locale,
		"Now":      now,
	}
}

// residentData holds the resident's non-empty profile fields. Email and
// phone are left out: messages have no need to repeat them.
func residentData(in Input) map[string]any {
	r := in.Resident
	m := make(map[string]any, 7)
	for k, v := range map[string]string{
		"ID": r.ID, "Name": r.Name, "Building": r.Building, "Unit": r.Unit, "Locale": r.Locale,
	} {
		if v = strings.TrimSpace(v); v != "" {
			m[k] = v
		}
	}
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	m["Tags"] = tags
	attrs := make(map[string]string, len(r.Attributes))
	for k, v := range r.Attributes {
		if strings.TrimSpace(v) != "" {
			attrs[k] = v
		}
	}
	m["Attributes"] = attrs
	return m
}

// cleanData copies job data without null values and blank strings, at every
// depth, so that they count as missing: a template either fails naming the
// key or, through opt, leaves it out.
func cleanData(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		if v, ok := cleanValue(v); ok {
			out[k] = v
		}
	}
	return out
}

func cleanValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case string:
		return v, strings.TrimSpace(v) != ""
	case map[string]any:
		return cleanData(v), true
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if e, ok := cleanValue(e); ok {
				out = append(out, e)
			}
		}
		return out, true
	}
	return v, true
}
