package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/preview"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/store"
)

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

	estate, err := st.Estate(ctx, r.EstateID())
	if err != nil {
		return e.fail("templates preview", fmt.Errorf("load the resident's estate %q: %w", r.EstateID(), err))
	}

	out := preview.Render(set, r, preview.Request{Kind: outreach.Kind(*kind), Template: *name,
		Channel: outreach.Channel(*channel), Data: map[string]any(data), Sample: *useSample,
		Estate: estate, Now: time.Now(), DefaultTimeZone: cfg.TimeZone})

	if *asJSON {
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
