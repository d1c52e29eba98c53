package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/templates"
)

const templatesUsage = `usage:
  outreach templates list [--dir DIR] [--json]
  outreach templates check [--dir DIR]
  outreach templates preview --kind K --resident ID [--template NAME] [--channel C] [--data k=v]... [--sample] [--json] [--dir DIR]

DIR is a folder laid over the built-in templates (default OUTREACH_TEMPLATES_DIR).`

func cmdTemplates(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, templatesUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return templatesList(e, args[1:])
	case "check":
		return templatesCheck(e, args[1:])
	case "preview":
		return templatesPreview(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "outreach templates: unknown subcommand %q\n%s\n", args[0], templatesUsage)
	return 2
}

// loadTemplates loads the set the daemon would serve: the built-in set,
// with dir (or OUTREACH_TEMPLATES_DIR) over it, and the locale fallback of
// OUTREACH_LOCALE_FALLBACK. ok is false when it printed why it could not.
func (e *env) loadTemplates(cmd, dir string) (*templates.Set, config.Config, bool) {
	cfg, ok := e.loadConfig(config.GroupTemplates, config.GroupStore, config.GroupResidents)
	if !ok {
		return nil, cfg, false
	}
	if dir != "" {
		cfg.TemplatesDir = dir
	}
	s, err := templates.Source{Dir: cfg.TemplatesDir, LocaleFallback: cfg.LocaleFallback}.Load()
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach %s: %v\n", cmd, err)
		return nil, cfg, false
	}
	return s, cfg, true
}

func templatesList(e *env, args []string) int {
	fs := flag.NewFlagSet("templates list", flag.ContinueOnError)
	dir := fs.String("dir", "", "override folder (default OUTREACH_TEMPLATES_DIR)")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	s, _, ok := e.loadTemplates("templates list", *dir)
	if !ok {
		return 1
	}
	if *asJSON {
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

// templatesCheck loads the set as the daemon would, which parses every
// file and renders every template folder with its sample data; it prints
// every problem with its file and line, and exits 1 when there is one.
func templatesCheck(e *env, args []string) int {
	fs := flag.NewFlagSet("templates check", flag.ContinueOnError)
	dir := fs.String("dir", "", "override folder to check over the built-in set (default OUTREACH_TEMPLATES_DIR)")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	s, cfg, ok := e.loadTemplates("templates check", *dir)
	if !ok {
		return 1
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
