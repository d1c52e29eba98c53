package resident

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// Patch is a partial update of a resident profile: the body of PATCH
// /v1/residents/{id} and what `outreach residents set` builds. A nil field
// is left as it is; a set one replaces the field (an empty string or list
// clears it). Attributes merge key by key, a null value removing the key.
// Apply it with Apply, then validate the result with Check.
type Patch struct {
	Name           *string             `json:"name,omitempty"`
	Estate         *string             `json:"estate,omitempty"`
	Email          *string             `json:"email,omitempty"`
	Phone          *string             `json:"phone,omitempty"`
	Locale         *string             `json:"locale,omitempty"`
	Building       *string             `json:"building,omitempty"`
	Unit           *string             `json:"unit,omitempty"`
	TimeZone       *string             `json:"time_zone,omitempty"`
	Tags           *[]string           `json:"tags,omitempty"`
	Channels       *[]outreach.Channel `json:"channels,omitempty"`
	OptOutChannels *[]outreach.Channel `json:"opt_out_channels,omitempty"`
	OptOutKinds    *[]outreach.Kind    `json:"opt_out_kinds,omitempty"`
	Attributes     map[string]*string  `json:"attributes,omitempty"`

	// optOuts are single opt-outs (out) and opt-ins (!out) by name, in
	// order: `set ID opt_out=sms opt_in=holiday_greeting`.
	optOuts []optOut
}

type optOut struct {
	channel outreach.Channel
	kind    outreach.Kind
	out     bool
}

// Empty reports whether p changes nothing.
func (p Patch) Empty() bool {
	return p.Name == nil && p.Estate == nil && p.Email == nil && p.Phone == nil && p.Locale == nil && p.Building == nil &&
		p.Unit == nil && p.TimeZone == nil && p.Tags == nil && p.Channels == nil &&
		p.OptOutChannels == nil && p.OptOutKinds == nil && p.Attributes == nil && len(p.optOuts) == 0
}

// Apply returns r with p's changes; r itself is not modified. The result is
// not validated: pass it to Check.
func (p Patch) Apply(r outreach.Resident) outreach.Resident {
	for _, f := range []struct {
		dst *string
		v   *string
	}{
		{&r.Name, p.Name}, {&r.Estate, p.Estate}, {&r.Email, p.Email}, {&r.Phone, p.Phone}, {&r.Locale, p.Locale},
		{&r.Building, p.Building}, {&r.Unit, p.Unit}, {&r.TimeZone, p.TimeZone},
	} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	r.Tags = slices.Clone(r.Tags)
	if p.Tags != nil {
		r.Tags = slices.Clone(*p.Tags)
	}
	r.Channels = slices.Clone(r.Channels)
	if p.Channels != nil {
		r.Channels = slices.Clone(*p.Channels)
	}
	r.OptOutChannels = slices.Clone(r.OptOutChannels)
	if p.OptOutChannels != nil {
		r.OptOutChannels = slices.Clone(*p.OptOutChannels)
	}
	r.OptOutKinds = slices.Clone(r.OptOutKinds)
	if p.OptOutKinds != nil {
		r.OptOutKinds = slices.Clone(*p.OptOutKinds)
	}
	r.Attributes = maps.Clone(r.Attributes)
	for k, v := range p.Attributes {
		switch {
		case v != nil && r.Attributes == nil:
			r.Attributes = map[string]string{k: *v}
		case v != nil:
			r.Attributes[k] = *v
		default:
			delete(r.Attributes, k)
		}
	}
	for _, o := range p.optOuts {
		switch {
		case o.channel != "" && o.out:
			r.OptOutChannels = append(r.OptOutChannels, o.channel)
		case o.channel != "":
			r.OptOutChannels = slices.DeleteFunc(r.OptOutChannels, func(c outreach.Channel) bool { return c == o.channel })
		case o.out:
			r.OptOutKinds = append(r.OptOutKinds, o.kind)
		default:
			r.OptOutKinds = slices.DeleteFunc(r.OptOutKinds, func(k outreach.Kind) bool { return k == o.kind })
		}
	}
	return r
}

// SetFields lists the fields Set takes, for usage messages.
const SetFields = "name, estate, email, phone, locale, building, unit, time_zone, tags, channels, opt_out, opt_in, attr.KEY"

// Set adds one "field=value" assignment of `outreach residents set` to p:
//
//	name=, estate=, email=, phone=, locale=, building=, unit=, time_zone=  the field
//	tags=elderly;new_resident   channels=sms;email                the list (";" separated, empty clears)
//	opt_out=sms  opt_in=holiday_greeting                         one opt-out, a channel or a kind
//	attr.KEY=value                                               an attribute; attr.KEY= removes it
//
// Field names are case-insensitive. Values are checked later by Check,
// except opt-out names, which Set checks. Errors are FieldErrors.
func (p *Patch) Set(assignment string) error {
	name, value, ok := strings.Cut(assignment, "=")
	field := strings.ToLower(strings.TrimSpace(name))
	if !ok || field == "" {
		return FieldError{Field: field, Err: fmt.Errorf("want field=value (fields: %s)", SetFields)}
	}
	str := func(dst **string) error { *dst = &value; return nil }
	switch field {
	case "name":
		return str(&p.Name)
	case "email":
		return str(&p.Email)
	case "phone":
		return str(&p.Phone)
	case "locale":
		return str(&p.Locale)
	case "building":
		return str(&p.Building)
	case "estate":
		return str(&p.Estate)
	case "unit":
		return str(&p.Unit)
	case "time_zone", "timezone", "tz":
		return str(&p.TimeZone)
	case "tags":
		tags := SplitList(value)
		p.Tags = &tags
		return nil
	case "channels":
		var cs []outreach.Channel
		for _, c := range SplitList(value) {
			cs = append(cs, outreach.Channel(c))
		}
		p.Channels = &cs
		return nil
	case "opt_out", "opt_in":
		c, k, err := outreach.ParseOptOut(value)
		if err != nil {
			return FieldError{Field: field, Err: err}
		}
		p.optOuts = append(p.optOuts, optOut{channel: c, kind: k, out: field == "opt_out"})
		return nil
	}
	if strings.HasPrefix(field, "attr.") {
		key := strings.TrimSpace(strings.TrimSpace(name)[len("attr."):])
		if key == "" {
			return FieldError{Field: field, Err: errors.New("attr. needs a name: attr.KEY=value")}
		}
		if p.Attributes == nil {
			p.Attributes = map[string]*string{}
		}
		if value == "" {
			p.Attributes[key] = nil
		} else {
			p.Attributes[key] = &value
		}
		return nil
	}
	return FieldError{Field: field, Err: errors.New("unknown field (want one of " + SetFields + ")")}
}
