package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/templates"
)

// preview is what `outreach templates preview --json` prints.
type preview struct {
	ResidentID string            `json:"resident_id"`
	Kind       outreach.Kind     `json:"kind"`
	Template   string            `json:"template,omitempty"` // the --template override
	Variant    string            `json:"variant"`            // chosen from the resident's tags
	Renderings []previewRendered `json:"renderings"`
}

// previewRendered is one channel's message, or why it cannot be rendered.
type previewRendered struct {
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
	Error    string           `json:"error,omitempty"`
}

// templatesPreview renders a kind's message for a resident from the
// store, on each channel (or the one asked for), as the daemon would.
func templatesPreview(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("templates preview", flag.ContinueOnError)
	data := keyValues{}
	var (
		kind       = fs.String("kind", "", "kind of message, e.g. maintenance_notice")
		residentID = fs.String("resident", "", "resident id (read from OUTREACH_DATABASE_URL)")
		name       = fs.String("template", "", "template name instead of the kind's own, as a job's \"template\"")
		channel    = fs.String("channel", "", "email or sms (default: both)")
		dir        = fs.String("dir", "", "override folder (default OUTREACH_TEMPLATES_DIR)")
		useSample  = fs.Bool("sample", false, "fill data the --data flags do not give from the template's sample.json")
		asJSON     = fs.Bool("json", false, "print one JSON object")
	)
	fs.Var(data, "data", "template variable key=value, as in the job's data (repeatable)")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	switch {
	case *kind == "" || *residentID == "":
		fmt.Fprintln(e.stderr, "outreach templates preview: --kind and --resident are required")
		return 2
	case !outreach.Kind(*kind).Valid():
		fmt.Fprintf(e.stderr, "outreach templates preview: unknown kind %q\n", *kind)
		return 2
	case *channel != "" && !outreach.Channel(*channel).Valid():
		fmt.Fprintf(e.stderr, "outreach templates preview: unknown channel %q (want email or sms)\n", *channel)
		return 2
	}
	set, cfg, ok := e.loadTemplates("templates preview", *dir)
	if !ok {
		return 1
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return e.fail("templates preview", fmt.Errorf("open store (OUTREACH_DATABASE_URL): %w", err))
	}
	defer st.Close()
	r, err := st.Resident(ctx, *residentID)
	if errors.Is(err, outreach.ErrNotFound) {
		return e.fail("templates preview", fmt.Errorf("unknown resident %q", *residentID))
	}
	if err != nil {
		return e.fail("templates preview", fmt.Errorf("load resident: %w", err))
	}

	out := preview{ResidentID: r.ID, Kind: outreach.Kind(*kind), Template: *name, Variant: templates.VariantFor(r)}
	channels := outreach.AllChannels
	if *channel != "" {
		channels = []outreach.Channel{outreach.Channel(*channel)}
	}
	failed := false
	for _, ch := range channels {
		in := templates.Input{Kind: out.Kind, Template: *name, Locale: r.Locale, Variant: out.Variant, Channel: ch,
			Resident: r, Data: map[string]any(maps.Clone(data)), Now: time.Now(), DefaultTimeZone: cfg.TimeZone}
		if *useSample {
			if smp, ok := set.SampleFor(in); ok {
				maps.Copy(smp.Data, in.Data)
				in.Data = smp.Data
			}
		}
		p := previewRendered{Channel: ch}
		got, err := set.Render(in)
		if err != nil {
			p.Error, failed = err.Error(), true
		} else {
			p.Template, p.Variant, p.Locale, p.Version, p.TimeZone = got.Template, got.Variant, got.Locale, got.Version, got.TimeZone
			p.Subject, p.Text, p.HTML = got.Subject, got.Text, got.HTML
			if ch == outreach.ChannelSMS {
				size := sms.Measure(got.Text)
				p.SMS = &size
			}
		}
		out.Renderings = append(out.Renderings, p)
	}

	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return e.fail("templates preview", err)
		}
	} else {
		printPreview(e.stdout, r, out)
	}
	if failed {
		for _, p := range out.Renderings {
			if p.Error != "" {
				fmt.Fprintf(e.stderr, "outreach templates preview: %s: %s\n", p.Channel, p.Error)
			}
		}
		return 1
	}
	return 0
}

func printPreview(w io.Writer, r outreach.Resident, p preview) {
	fmt.Fprintf(w, "Resident: %s %s (locale %s", r.ID, r.Name, orNone(r.Locale))
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, ", tags %s", strings.Join(r.Tags, ", "))
	}
	fmt.Fprintf(w, ")\nKind:     %s, variant %s\n", p.Kind, p.Variant)
	for _, m := range p.Renderings {
		fmt.Fprintf(w, "\n=== %s", m.Channel)
		if m.Error != "" {
			fmt.Fprintf(w, ": cannot render\n%s\n", m.Error)
			continue
		}
		fmt.Fprintf(w, ": template %s, variant %s, locale %s, version %s", m.Template, m.Variant, m.Locale, m.Version)
		if m.TimeZone != "" {
			fmt.Fprintf(w, ", times in %s", m.TimeZone)
		}
		if m.SMS != nil {
			fmt.Fprintf(w, "\n    SMS: %s, %s (%d %s)", m.SMS.Encoding, plural(m.SMS.Segments, "segment"), m.SMS.Units, smsUnits(m.SMS.Encoding))
			fmt.Fprintf(w, "\n\n%s\n", m.Text)
			continue
		}
		fmt.Fprintf(w, "\n\nSubject: %s\n\n--- text ---\n%s\n", m.Subject, m.Text)
		if m.HTML != "" {
			fmt.Fprintf(w, "\n--- HTML ---\n%s\n", m.HTML)
		}
	}
}

func smsUnits(enc sms.Encoding) string {
	if enc == sms.EncodingGSM7 {
		return "septets"
	}
	return "UTF-16 units"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
