package outreach

import (
	"slices"
	"time"
)

// Resident is a person outreach talks to, with the profile that templates and
// routing use.
type Resident struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"` // E.164
	Locale   string `json:"locale,omitempty"`
	Building string `json:"building,omitempty"`
	Unit     string `json:"unit,omitempty"`
	// Tags such as "elderly" or "new_resident".
	Tags []string `json:"tags,omitempty"`
	// Channels in the resident's order of preference.
	Channels []Channel `json:"channels,omitempty"`
	// Attributes are the extra columns of an import, usable in templates.
	Attributes map[string]string `json:"attributes,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at,omitzero"`
}

// HasTag reports whether the resident carries tag t.
func (r Resident) HasTag(t string) bool { return slices.Contains(r.Tags, t) }

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
