package templates

import (
	"strings"
	"sync"
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
//
// The map is the same for every message to an estate's residents, so it
// is built once per estate identity and shared (see estateMaps): no
// template or helper writes to its data.
func estateData(e outreach.Estate) map[string]any {
	id := estateIdentity{e.ID, e.Name, e.Company, e.ServicePhone, e.EmergencyPhone, e.OfficeHours, e.Address, e.SMSSignature}
	return estateMaps.get(id)
}

// estateIdentity is what estateData reads of an estate.
type estateIdentity struct {
	ID, Name, Company, ServicePhone, EmergencyPhone, OfficeHours, Address, Signature string
}

func (id estateIdentity) data() map[string]any {
	e := outreach.Estate{Name: id.Name, Company: id.Company}
	m := make(map[string]any, 9)
	for _, f := range [...]struct{ key, value string }{
		{"ID", id.ID}, {"Name", id.Name}, {"Company", id.Company}, {"DisplayName", e.DisplayName()},
		{"ServicePhone", id.ServicePhone}, {"EmergencyPhone", id.EmergencyPhone}, {"OfficeHours", id.OfficeHours},
		{"Address", id.Address}, {"Signature", id.Signature},
	} {
		if v := strings.TrimSpace(f.value); v != "" {
			m[f.key] = v
		}
	}
	return m
}

// estateMapsSize bounds the identities estateMaps keeps: a daemon sends
// for tens of estates; an edit makes a new identity. When full it starts
// again.
const estateMapsSize = 256

// estateMaps keeps .Estate by estate identity.
var estateMaps estateMapCache

type estateMapCache struct {
	mu sync.RWMutex
	m  map[estateIdentity]map[string]any
}

func (c *estateMapCache) get(id estateIdentity) map[string]any {
	c.mu.RLock()
	m, ok := c.m[id]
	c.mu.RUnlock()
	if ok {
		return m
	}
	m = id.data()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= estateMapsSize {
		c.m = make(map[estateIdentity]map[string]any)
	}
	c.m[id] = m
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
