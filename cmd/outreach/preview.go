package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/preview"
	"github.com/outreach-dev/outreach/outreach/sms"
)

// templatesPreviewCmd renders a kind's message for a resident from the
// store, on each channel (or the one asked for), as the daemon would.
type templatesPreviewCmd struct {
	Kind     string   `placeholder:"K" help:"kind of message, e.g. maintenance_notice (required)"`
	Resident string   `placeholder:"ID" help:"resident id, read from OUTREACH_DATABASE_URL (required)"`
	Template string   `placeholder:"NAME" help:"template name instead of the kind's own, as a job's \"template\""`
	Channel  string   `placeholder:"C" help:"email or sms (default: both)"`
	Data     []string `sep:"none" placeholder:"k=v" help:"template variable key=value, as in the job's data (repeatable)"`
	Sample   bool     `help:"fill data the --data flags do not give from the template's sample.json"`
	JSON     bool     `name:"json" help:"print one JSON object"`
	dirFlag
}

func (c *templatesPreviewCmd) run(ctx context.Context, e *env) int {
	switch {
	case c.Kind == "" || c.Resident == "":
		fmt.Fprintln(e.stderr, "outreach templates preview: --kind and --resident are required")
		return 2
	case !outreach.Kind(c.Kind).Valid():
		fmt.Fprintf(e.stderr, "outreach templates preview: unknown kind %q\n", c.Kind)
		return 2
	case c.Channel != "" && !outreach.Channel(c.Channel).Valid():
		fmt.Fprintf(e.stderr, "outreach templates preview: unknown channel %q (want email or sms)\n", c.Channel)
		return 2
	}
	data, err := parseKeyValues(c.Data)
	if err != nil {
		return e.usage("templates preview", "--data: %v", err)
	}
	st, cfg, _ := e.openStore(ctx, "templates preview", config.GroupTemplates, config.GroupResidents)
	if st == nil {
		return templatesExit // whichever stopped it, as for templates list and check
	}
	defer st.Close()
	set, ok := e.loadTemplates("templates preview", &cfg, c.Dir)
	if !ok {
		return templatesExit
	}
	r, err := st.Resident(ctx, c.Resident)
	if errors.Is(err, outreach.ErrNotFound) {
		return e.fail("templates preview", fmt.Errorf("unknown resident %q", c.Resident))
	}
	if err != nil {
		return e.fail("templates preview", fmt.Errorf("load resident: %w", err))
	}

	estate, err := st.Estate(ctx, r.EstateID())
	if err != nil {
		return e.fail("templates preview", fmt.Errorf("load the resident's estate %q: %w", r.EstateID(), err))
	}

	out := preview.Render(set, r, preview.Request{Kind: outreach.Kind(c.Kind), Template: c.Template,
		Channel: outreach.Channel(c.Channel), Data: data, Sample: c.Sample,
		Estate: estate, Now: time.Now(), DefaultTimeZone: cfg.TimeZone})

	if c.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return e.fail("templates preview", err)
		}
	} else {
		printPreview(e.stdout, r, out)
	}
	if out.Failed() {
		for _, p := range out.Renderings {
			if p.Error != "" {
				fmt.Fprintf(e.stderr, "outreach templates preview: %s: %s\n", p.Channel, p.Error)
			}
		}
		return 1
	}
	return 0
}

func printPreview(w io.Writer, r outreach.Resident, p preview.Preview) {
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
		if m.Fallback != "" {
			fmt.Fprintf(w, "\n    fell back to the default variant (%s)", m.Fallback)
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
