// Package preview renders what a resident would receive for a kind of
// message, on each channel, as the daemon would render it: the one
// implementation behind `outreach templates preview` and
// POST /v1/templates/preview.
package preview

import (
	"cmp"
	"maps"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/templates"
)

// Request is what to preview.
type Request struct {
	Kind outreach.Kind
	// Template is a job's "template" override; empty: the kind's own.
	Template string
	// Channel limits the preview to one channel; empty: email and SMS.
	Channel outreach.Channel
	// Data is the job's data. Only it is used, so a missing variable fails
	// as the job would, unless Sample fills the rest from the template's
	// sample.json.
	Data   map[string]any
	Sample bool
	// Estate is the resident's estate, whose identity the message speaks
	// with (see templates.Input.Estate); the zero Estate speaks
	// generically.
	Estate outreach.Estate
	// Now is the time the message is rendered at; DefaultTimeZone is
	// OUTREACH_TIMEZONE.
	Now             time.Time
	DefaultTimeZone *time.Location
}

// Preview is a resident's message on each channel (`templates preview
// --json` prints it; the API answers with it).
type Preview struct {
	ResidentID string        `json:"resident_id"`
	Kind       outreach.Kind `json:"kind"`
	Template   string        `json:"template,omitempty"` // the override asked for
	Variant    string        `json:"variant"`            // chosen from the resident's tags
	Renderings []Rendering   `json:"renderings"`
}

// Rendering is one channel's message, or why it cannot be rendered.
type Rendering struct {
	Channel  outreach.Channel `json:"channel"`
	Template string           `json:"template,omitempty"`
	Variant  string           `json:"variant,omitempty"` // the variant used; the default when the template has no such variant
	Locale   string           `json:"locale,omitempty"`
	Version  string           `json:"version,omitempty"`
	TimeZone string           `json:"time_zone,omitempty"`
	Subject  string           `json:"subject,omitempty"`
	Text     string           `json:"text,omitempty"`
	HTML     string           `json:"html,omitempty"`
	SMS      *sms.Size        `json:"sms,omitempty"`
	// Fallback says why the default variant was rendered instead of the
	// resident's ("variant elderly: missing contact").
	Fallback string `json:"fallback,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Failed reports whether any channel could not be rendered.
func (p Preview) Failed() bool {
	for _, r := range p.Renderings {
		if r.Error != "" {
			return true
		}
	}
	return false
}

// Render renders req for resident r with set. A channel that cannot be
// rendered has its Error set; the others are still rendered.
func Render(set *templates.Set, r outreach.Resident, req Request) Preview {
	out := Preview{ResidentID: r.ID, Kind: req.Kind, Template: req.Template, Variant: templates.VariantFor(r)}
	channels := outreach.AllChannels
	if req.Channel != "" {
		channels = []outreach.Channel{req.Channel}
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, ch := range channels {
		in := templates.Input{Kind: req.Kind, Template: req.Template, Locale: cmp.Or(r.Locale, req.Estate.Locale), Variant: out.Variant, Channel: ch,
			Resident: r, Estate: req.Estate, Data: maps.Clone(req.Data), Now: now, DefaultTimeZone: req.DefaultTimeZone}
		if in.Data == nil {
			in.Data = map[string]any{}
		}
		if req.Sample {
			if smp, ok := set.SampleFor(in); ok {
				maps.Copy(smp.Data, in.Data)
				in.Data = smp.Data
			}
		}
		p := Rendering{Channel: ch}
		got, err := set.Render(in)
		if err != nil {
			p.Error = err.Error()
		} else {
			p.Template, p.Variant, p.Locale, p.Version, p.TimeZone = got.Template, got.Variant, got.Locale, got.Version, got.TimeZone
			p.Subject, p.Text, p.HTML, p.Fallback = got.Subject, got.Text, got.HTML, got.Fallback
			if ch == outreach.ChannelSMS {
				size := sms.Measure(got.Text)
				p.SMS = &size
			}
		}
		out.Renderings = append(out.Renderings, p)
	}
	return out
}
