package outreach

import (
	"slices"
	"time"
)

// Resident is a person outreach talks to, with the profile that templates and
// routing use.
type Resident struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Estate is the id of the estate the resident lives in; empty is read
	// as DefaultEstateID (the stores keep the default id, never empty).
	// Building and Unit are within the estate.
	Estate   string `json:"estate,omitempty"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"` // E.164
	Locale   string `json:"locale,omitempty"`
	Building string `json:"building,omitempty"`
	Unit     string `json:"unit,omitempty"`
	// Tags such as "elderly" or "new_resident".
	Tags []string `json:"tags,omitempty"`
	// Channels in the resident's order of preference.
	Channels []Channel `json:"channels,omitempty"`
	// TimeZone is an IANA zone such as "Asia/Shanghai"; empty means the
	// daemon's default (OUTREACH_TIMEZONE).
	TimeZone string `json:"time_zone,omitempty"`
	// OptOutChannels are channels the resident does not want to be reached on.
	OptOutChannels []Channel `json:"opt_out_channels,omitempty"`
	// OptOutKinds are kinds of message the resident does not want on any
	// channel (e.g. holiday greetings); other kinds still reach them.
	OptOutKinds []Kind `json:"opt_out_kinds,omitempty"`
	// Attributes are the extra columns of an import, usable in templates.
	Attributes map[string]string `json:"attributes,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at,omitzero"`
}

// HasTag reports whether the resident carries tag t.
func (r Resident) HasTag(t string) bool { return slices.Contains(r.Tags, t) }

// OptedOut reports whether the resident has opted out of channel c or of
// messages of kind k.
func (r Resident) OptedOut(c Channel, k Kind) bool {
	return slices.Contains(r.OptOutChannels, c) || slices.Contains(r.OptOutKinds, k)
}

// Contact is the resident's address on channel c, empty when there is none.
func (r Resident) Contact(c Channel) string {
	switch c {
	case ChannelEmail:
		return r.Email
	case ChannelSMS:
		return r.Phone
	}
	return ""
}

// EstateID is the resident's estate, DefaultEstateID when none is set.
func (r Resident) EstateID() string {
	if r.Estate == "" {
		return DefaultEstateID
	}
	return r.Estate
}
