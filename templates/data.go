package templates

import (
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// newData is what a template sees: maps all the way down, so that a missing
// key fails the render (missingkey=error) instead of printing "<no value>".
func newData(in Input, locale string) map[string]any {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	data := cleanData(in.Data)
	for _, d := range estateDefaults(in.Estate) {
		if _, ok := data[d.key]; !ok && d.value != "" {
			data[d.key] = d.value
		}
	}
	return map[string]any{
		"Resident": residentData(in),
		"Estate":   estateData(in.Estate),
		"Data":     data,
		"Locale":   locale,
		"Now":      now,
	}
}

// estateDefaults is the job data that falls back to the estate when the
// job gives none: the number to call (data.contact) is the service
// centre's, and so on. Templates written for job data get the estate's
// identity without knowing about estates.
func estateDefaults(e outreach.Estate) [5]struct{ key, value string } {
	return [5]struct{ key, value string }{
		{"contact", strings.TrimSpace(e.ServicePhone)},
		{"office_hours", strings.TrimSpace(e.OfficeHours)},
		{"office_location", strings.TrimSpace(e.Address)},
		{"emergency_contact", strings.TrimSpace(e.EmergencyPhone)},
		{"estate", strings.TrimSpace(e.Name)},
	}
}

// estateData is .Estate: the estate's non-empty identity fields, so that
// {{with opt .Estate "Name"}} leaves out what the estate has not set (the
// default estate of a fresh install has no name) and {{.Estate.Name}}
// fails naming it.
func estateData(e outreach.Estate) map[string]any {
	m := make(map[string]any, 9)
	for _, f := range [...]struct{ key, value string }{
		{"ID", e.ID}, {"Name", e.Name}, {"Company", e.Company}, {"DisplayName", e.DisplayName()},
		{"ServicePhone", e.ServicePhone}, {"EmergencyPhone", e.EmergencyPhone}, {"OfficeHours", e.OfficeHours},
		{"Address", e.Address}, {"Signature", e.SMSSignature},
	} {
		if v := strings.TrimSpace(f.value); v != "" {
			m[f.key] = v
		}
	}
	return m
}

// residentData holds the resident's non-empty profile fields. Email and
// phone are left out: messages have no need to repeat them.
func residentData(in Input) map[string]any {
	r := in.Resident
	m := make(map[string]any, 7)
	for _, f := range [...]struct{ key, value string }{
		{"ID", r.ID}, {"Name", r.Name}, {"Building", r.Building}, {"Unit", r.Unit}, {"Locale", r.Locale},
	} {
		if v := strings.TrimSpace(f.value); v != "" {
			m[f.key] = v
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
