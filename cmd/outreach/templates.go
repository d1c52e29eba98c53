package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/templates"
)

// templatesCmd lists, checks and previews the templates. DIR is a folder
// laid over the built-in templates (default OUTREACH_TEMPLATES_DIR).
type templatesCmd struct {
	List    templatesListCmd    `cmd:"" help:"list the templates: template, variant, locale, channel, version, origin"`
	Check   templatesCheckCmd   `cmd:"" help:"parse every template and render every one with its sample data, as the daemon would load them; exit 1 on any error"`
	Preview templatesPreviewCmd `cmd:"" help:"render a kind's message for a resident from the store, on each channel (or the one asked for), as the daemon would"`
}

// dirFlag is the folder of templates a command reads over the built-in set.
type dirFlag struct {
	Dir string `placeholder:"DIR" help:"folder laid over the built-in templates (default OUTREACH_TEMPLATES_DIR)"`
}

// templatesExit is the status of a templates command that could not
// load what it renders with, a setting or a template: 1, as for a
// template that does not render.
const templatesExit = 1

// loadTemplates loads the set the daemon would serve: the built-in set,
// with dir (or cfg's OUTREACH_TEMPLATES_DIR) over it, and the locale
// fallback of OUTREACH_LOCALE_FALLBACK. ok is false when it printed why
// it could not.
func (e *env) loadTemplates(cmd string, cfg *config.Config, dir string) (*templates.Set, bool) {
	if dir != "" {
		cfg.TemplatesDir = dir
	}
	s, err := templates.Source{Dir: cfg.TemplatesDir, LocaleFallback: cfg.LocaleFallback}.Load()
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach %s: %v\n", cmd, err)
		return nil, false
	}
	return s, true
}

type templatesListCmd struct {
	dirFlag
	listFlags
}

func (c *templatesListCmd) run(_ context.Context, e *env) int {
	cfg, ok := e.loadConfig(config.GroupTemplates)
	if !ok {
		return templatesExit
	}
	s, ok := e.loadTemplates("templates list", &cfg, c.Dir)
	if !ok {
		return templatesExit
	}
	if c.JSON {
		enc := json.NewEncoder(e.stdout)
		for _, i := range s.List() {
			if err := enc.Encode(i); err != nil {
				return e.fail("templates list", err)
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tVARIANT\tLOCALE\tCHANNEL\tVERSION\tORIGIN")
	for _, i := range s.List() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", i.Template, i.Variant, i.Locale, i.Channel, i.Version, i.Origin)
	}
	_ = tw.Flush()
	fmt.Fprintf(e.stdout, "\n%s; digest %s%s\n", summary(s), s.Digest(), fallbackNote(s))
	return 0
}

// templatesCheckCmd loads the set as the daemon would, which parses
// every file and renders every template folder with its sample data; it
// prints every problem with its file and line, and exits 1 when there is
// one.
type templatesCheckCmd struct{ dirFlag }

func (c *templatesCheckCmd) run(_ context.Context, e *env) int {
	cfg, ok := e.loadConfig(config.GroupTemplates)
	if !ok {
		return templatesExit
	}
	s, ok := e.loadTemplates("templates check", &cfg, c.Dir)
	if !ok {
		return templatesExit
	}
	rendered, unsampled := 0, map[string]bool{}
	for _, i := range s.List() {
		if i.HasSample {
			rendered++
		} else {
			unsampled[i.Template+variantSuffix(i.Variant)+"/"+i.Locale+" ("+i.Origin+")"] = true
		}
	}
	for _, f := range slices.Sorted(maps.Keys(unsampled)) {
		fmt.Fprintf(e.stdout, "warning: %s has no sample.json, so it was parsed but not rendered; add one to check it fully\n", f)
	}
	where := "built-in templates"
	if cfg.TemplatesDir != "" {
		where = cfg.TemplatesDir + " over the built-in templates"
	}
	fmt.Fprintf(e.stdout, "ok: %s: %s; %d renderings with sample data; digest %s%s\n", where, summary(s), rendered, s.Digest(), fallbackNote(s))
	return 0
}

// summary counts what s holds: "6 templates and 9 variants in 2 locales (en, zh-CN)".
func summary(s *templates.Set) string {
	var base, variants int
	locales := map[string]bool{}
	for _, n := range s.Names() {
		if strings.Contains(n, ".") {
			variants++
		} else {
			base++
		}
		for _, l := range s.Locales(n) {
			locales[l] = true
		}
	}
	return fmt.Sprintf("%d templates and %d variants in %d locales (%s)", base, variants, len(locales),
		strings.Join(slices.Sorted(maps.Keys(locales)), ", "))
}

func fallbackNote(s *templates.Set) string {
	rules := s.LocaleFallback()
	if len(rules) == 0 {
		return ""
	}
	var parts []string
	for _, from := range slices.Sorted(maps.Keys(rules)) {
		parts = append(parts, from+"="+rules[from])
	}
	return "; locale fallback " + strings.Join(parts, ",")
}

func variantSuffix(v string) string {
	if v == templates.DefaultVariant {
		return ""
	}
	return "." + v
}
