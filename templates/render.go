package templates

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// DefaultVariant is the Variant of a rendering that used no variant template.
const DefaultVariant = "default"

// Input is what one message is rendered from.
type Input struct {
	Kind     outreach.Kind
	Template string // optional override name (the job's "template" field); empty: the kind's template
	Locale   string // the resident's locale, e.g. "zh-CN", "en-GB"; empty: DefaultLocale
	// Variant, e.g. "elderly", selects <template>.<variant> where it exists
	// in the chosen language; empty or "default": none.
	Variant  string
	Channel  outreach.Channel
	Resident outreach.Resident
	// Estate is the resident's estate: the identity the message speaks
	// with (.Estate in templates, see estateData), the fallback of some
	// job data (see estateDefaults), the SMS signature, and the time zone
	// for a resident without one. The zero Estate speaks generically.
	Estate outreach.Estate
	Data   map[string]any // the job's data
	Now    time.Time      // for date helpers; zero: the current time
	// DefaultTimeZone is the zone dates and times are shown in for a
	// resident without a TimeZone of their own (OUTREACH_TIMEZONE). Nil
	// keeps each time in the UTC offset it was written with.
	DefaultTimeZone *time.Location
}

// Rendered is a rendered message and what it was rendered from.
type Rendered struct {
	Template string // template name used, e.g. "maintenance_notice"
	Version  string // 12 hex digits of a SHA-256 over the template files used
	Locale   string // the locale used after fallback
	Variant  string // DefaultVariant or the variant used, e.g. "elderly"
	Subject  string // email only
	Text     string // email plain text, or the SMS text
	HTML     string // email only; empty when the template has no HTML
	TimeZone string // the zone times were shown in; empty when they kept their own offsets
	// Fallback says why this is not the variant the input asked for, when
	// it is not: "variant elderly: missing contact" (see Set.Render).
	// FallbackVariant is the variant that could not render and
	// FallbackReason a short token for metrics (FallbackMissingVariable).
	Fallback, FallbackVariant, FallbackReason string
}

// FallbackMissingVariable is the Rendered.FallbackReason of a variant that
// lacked a variable its default template does without.
const FallbackMissingVariable = "missing_variable"

// Render renders the message for in. Its errors say why the job cannot be
// rendered as given (unknown template, missing variable, ...): retrying
// cannot help. A missing variable is a *MissingVariableError; an unknown
// kind or template wraps ErrUnknownTemplate.
//
// No resident misses a message for want of an optional personalisation:
// when the variant (elderly, new_resident) lacks a variable, the default
// variant is rendered instead, and Rendered.Fallback says why ("variant
// elderly: missing contact"). When the default variant fails too, its
// error is returned: it names what the kind itself needs.
func (s *Set) Render(in Input) (Rendered, error) {
	return s.render(in, true)
}

// render is Render; kept says whether the templates cut into segments
// execute as such, keeping the output of their constant segments (see
// segmented), or whole, as the tests compare.
func (s *Set) render(in Input, kept bool) (Rendered, error) {
	name, l, variant, err := s.resolve(in)
	if err != nil {
		return Rendered{}, err
	}
	out, err := l.render(in, kept)
	var mv *MissingVariableError
	if err != nil && variant != DefaultVariant && errors.As(err, &mv) {
		def := in
		def.Variant = DefaultVariant
		_, dl, _, derr := s.resolve(def)
		if derr != nil {
			return Rendered{}, err
		}
		out, derr = dl.render(def, kept)
		if derr != nil {
			return Rendered{}, derr
		}
		out.Template, out.Variant = name, DefaultVariant
		out.Fallback = fmt.Sprintf("variant %s: missing %s", variant, mv.Variable)
		out.FallbackVariant, out.FallbackReason = variant, FallbackMissingVariable
		return out, nil
	}
	if err != nil {
		return Rendered{}, err
	}
	out.Template, out.Variant = name, variant
	return out, nil
}

// resolve finds the locale folder that renders in: the base template's
// name, the folder, and the variant it belongs to (DefaultVariant when
// the base template's own folder renders).
func (s *Set) resolve(in Input) (name string, l *localized, variant string, err error) {
	if !in.Channel.Valid() {
		return "", nil, "", fmt.Errorf("render: unknown channel %q", in.Channel)
	}
	if name, err = s.templateName(in); err != nil {
		return "", nil, "", err
	}
	var v *named
	if in.Variant != "" && in.Variant != DefaultVariant {
		v = s.byName[name+"."+in.Variant]
	}
	t, l := s.pick(in.Locale, in.Channel, v, s.byName[name])
	if l == nil {
		return "", nil, "", fmt.Errorf("render: template %q has no %s version: %w", name, in.Channel, ErrUnknownTemplate)
	}
	variant = DefaultVariant
	if t == v {
		variant = in.Variant
	}
	return name, l, variant, nil
}

// templateName is the name of the base template that in asks for.
func (s *Set) templateName(in Input) (string, error) {
	name := in.Template
	if name == "" {
		if in.Kind == "" {
			return "", fmt.Errorf("render: no kind and no template name: %w", ErrUnknownTemplate)
		}
		name = string(in.Kind)
	}
	if _, variant := baseName(name); variant != "" {
		return "", fmt.Errorf("render: template %q: name the variant in Variant, not in the template name: %w", name, ErrUnknownTemplate)
	}
	if _, ok := s.byName[name]; !ok {
		if in.Template == "" {
			return "", fmt.Errorf("render: no template for kind %q: %w", in.Kind, ErrUnknownTemplate)
		}
		return "", fmt.Errorf("render: template %q: %w", name, ErrUnknownTemplate)
	}
	return name, nil
}

// render renders in.Channel of l. The result has no template or variant.
func (l *localized) render(in Input, kept bool) (Rendered, error) {
	where := l.name + "/" + l.locale + "/" + string(in.Channel)
	p := l.parts[in.Channel]
	zone := zoneFor(in)
	b, err := p.forZone(l.locale, zone)
	if err != nil {
		return Rendered{}, fmt.Errorf("render %s: %w", where, err)
	}
	data := newData(in, l.locale)
	out := Rendered{Version: p.version, Locale: l.locale}
	if zone != nil {
		out.TimeZone = zone.String()
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	var key string
	if kept {
		key = cacheKey(data)
	}
	exec := func(e executor, seg *segmented, what string) (string, error) {
		buf.Reset()
		var err error
		if seg != nil && kept {
			err = seg.execute(buf, data, key)
		} else {
			err = e.Execute(buf, data)
		}
		if err != nil {
			return "", execError(err, where)
		}
		s := string(bytes.TrimSpace(buf.Bytes()))
		if s == "" {
			return "", fmt.Errorf("render %s: the %s is empty", where, what)
		}
		return s, nil
	}
	if in.Channel == outreach.ChannelSMS {
		out.Text, err = exec(b.text, b.textSeg, "text")
		out.Text = Sign(out.Text, in.Estate.SMSSignature)
		return out, err
	}
	if out.Subject, err = exec(b.subject, b.subjectSeg, "subject"); err != nil {
		return Rendered{}, err
	}
	// A subject is one header line: fold any line breaks the data brought in.
	out.Subject = strings.Join(strings.Fields(out.Subject), " ")
	if out.Text, err = exec(b.text, b.textSeg, "text"); err != nil {
		return Rendered{}, err
	}
	if b.html != nil {
		if out.HTML, err = exec(b.html, b.htmlSeg, "HTML"); err != nil {
			return Rendered{}, err
		}
	}
	return out, nil
}

// renderBuffers are the buffers templates execute into, reused from one
// rendering to the next: a rendering then allocates its results, not a
// growing buffer for each of its templates.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer returns buf to renderBuffers, unless a rendering grew
// it far beyond what a message needs.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		renderBuffers.Put(buf)
	}
}

// Sign puts an SMS signature (【阳光花园物业】, which Chinese carriers
// require at the start of every SMS) in front of text, unless text already
// starts with it (a template that writes it itself). An empty signature or
// text leaves text as it is.
func Sign(text, signature string) string {
	if signature == "" || text == "" || strings.HasPrefix(text, signature) {
		return text
	}
	return signature + text
}
