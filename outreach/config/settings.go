package config

//go:generate go run ./gendocs ../../docs/configuration.md

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	caarlos0 "github.com/caarlos0/env/v11"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
)

// Group names the settings one part of outreach reads (a field's group
// tag). A command loads the groups it uses and no other, so that a setting
// it never reads cannot stop it.
type Group string

// The groups, in the order docs/configuration.md lists them.
const (
	GroupRedis     Group = "redis"     // the job queue: enqueue, serve
	GroupStore     Group = "store"     // the database: every command that reads or writes records
	GroupEmail     Group = "email"     // the email channel
	GroupSMS       Group = "sms"       // the SMS channel
	GroupChat      Group = "chat"      // the chat robots
	GroupHTTP      Group = "http"      // the listener: API, webhooks, links, TLS
	GroupDispatch  Group = "dispatch"  // the daemon's workers
	GroupResidents Group = "residents" // phone numbers and time zones of residents
	GroupEstate    Group = "estate"    // the default estate's identity
	GroupPolicy    Group = "policy"    // quiet hours and caps
	GroupArchive   Group = "archive"   // content retention
	GroupSurvey    Group = "survey"    // the satisfaction loop
	GroupCases     Group = "cases"     // the complaint loop
	GroupTemplates Group = "templates" // the template set
	GroupLog       Group = "log"       // the process log
)

// GroupDoc says who reads each group, for docs/configuration.md.
var GroupDoc = map[Group]string{
	GroupRedis:     "enqueue, serve, dev, bench",
	GroupStore:     "every command that reads or writes records",
	GroupEmail:     "serve, dev, bench",
	GroupSMS:       "serve, dev, bench",
	GroupChat:      "serve, dev, bench",
	GroupHTTP:      "serve, dev, bench",
	GroupDispatch:  "serve, dev, bench",
	GroupResidents: "serve, dev, bench; residents import and set, campaign, templates preview",
	GroupEstate:    "serve, dev, bench",
	GroupPolicy:    "serve, dev, bench",
	GroupArchive:   "serve, dev, bench",
	GroupSurvey:    "serve, dev, bench",
	GroupCases:     "serve, dev, bench",
	GroupTemplates: "serve, dev, bench; templates",
	GroupLog:       "serve, dev, bench",
}

// Groups are all the groups.
var Groups = []Group{GroupRedis, GroupStore, GroupEmail, GroupSMS, GroupChat, GroupHTTP, GroupDispatch,
	GroupResidents, GroupEstate, GroupPolicy, GroupArchive, GroupSurvey, GroupCases, GroupTemplates, GroupLog}

// Var describes one environment variable, for `outreach help` and
// docs/configuration.md. Meaning is Markdown (links to docs/).
type Var struct {
	Name, Default, Meaning string
	Group                  Group
	// Field is the Go field's name, as env's parse errors give it.
	field string
	want  string
}

// Vars lists every variable Load reads, in the order of Config's fields.
var Vars = settingVars()

// Load reads the configuration through getenv, applies defaults and
// validates it; all problems are reported together, each naming its
// variable. With groups, only the variables of those groups are read and
// checked: the other fields hold their defaults. Without, every group is.
func Load(getenv func(string) string, groups ...Group) (Config, error) {
	if len(groups) == 0 {
		groups = Groups
	}
	r := &report{groups: groups, env: map[string]string{}, failed: map[string]bool{}}
	for _, v := range Vars {
		if !slices.Contains(groups, v.Group) {
			continue
		}
		if s := strings.TrimSpace(getenv(v.Name)); s != "" {
			r.env[v.Name] = s
		}
	}
	var c Config
	err := caarlos0.ParseWithOptions(&c, caarlos0.Options{Environment: r.env, FuncMap: parsers})
	r.parseErrors(err)
	if c.Consumer == "" {
		host, _ := os.Hostname()
		c.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	c.PhoneRegion = strings.ToUpper(c.PhoneRegion)
	if c.TimeZone == nil {
		c.TimeZone = time.UTC
	}
	validateBase(&c, r)
	c.Delivery.validate(c.PublicURL, r)
	c.TLS.validate(r)
	c.DefaultEstate.validate(r)
	c.Survey.validate(r)
	validatePolicy(c.Policy, r)
	return c, errors.Join(r.errs...)
}

// parsers read the types whose text form is outreach's own.
var parsers = map[reflect.Type]caarlos0.ParserFunc{
	// Durations are periods: "7d" as well as "72h".
	reflect.TypeFor[time.Duration](): func(v string) (any, error) { return outreach.ParsePeriod(v) },
	// Switches are on/off as well as true/false.
	reflect.TypeFor[bool](): func(v string) (any, error) {
		switch strings.ToLower(v) {
		case "on", "true", "1", "t":
			return true, nil
		case "off", "false", "0", "f":
			return false, nil
		}
		return nil, fmt.Errorf("not a switch: %q", v)
	},
	reflect.TypeFor[map[string]string]():   func(v string) (any, error) { return parseLocaleFallback(v) },
	reflect.TypeFor[policy.QuietHours]():   func(v string) (any, error) { return policy.ParseQuietHours(v) },
	reflect.TypeFor[outreach.CaseLimits](): func(v string) (any, error) { return outreach.ParseCaseLimits(v) },
}

// report gathers the problems of one Load.
type report struct {
	groups []Group
	env    map[string]string // the variables read, trimmed, set ones only
	failed map[string]bool   // variables whose value did not parse
	errs   []error
}

func (r *report) wants(g Group) bool { return slices.Contains(r.groups, g) }

// value is what the variable was set to ("" when unset).
func (r *report) value(name string) string { return r.env[name] }

// add reports a problem with a variable, unless its value did not even
// parse (that was reported already).
func (r *report) add(name, format string, args ...any) {
	if r.failed[name] {
		return
	}
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (r *report) addErr(name string, err error) {
	if !r.failed[name] {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
	}
}

func (r *report) positive(name string, n int) {
	if n < 1 {
		r.add(name, "want a positive whole number, got %q", r.value(name))
	}
}

func (r *report) atLeastZero(name string, n int, want string) {
	if n < 0 {
		r.add(name, "want %s, got %q", want, r.value(name))
	}
}

func (r *report) httpURL(name, v string) {
	if v == "" {
		return
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.add(name, "want an http(s) URL, got %q", v)
	}
}

// parseErrors turns env's errors, which name Go fields, into errors that
// name the variable and say what it should be.
func (r *report) parseErrors(err error) {
	if err == nil {
		return
	}
	var agg caarlos0.AggregateError
	if !errors.As(err, &agg) {
		r.errs = append(r.errs, err)
		return
	}
	for _, e := range agg.Errors {
		var pe caarlos0.ParseError
		if !errors.As(e, &pe) {
			r.errs = append(r.errs, e)
			continue
		}
		v, ok := varOfField(pe.Name)
		if !ok {
			r.errs = append(r.errs, e)
			continue
		}
		if v.want != "" {
			r.add(v.Name, "want %s, got %q", v.want, r.value(v.Name))
		} else {
			r.addErr(v.Name, pe.Err)
		}
		r.failed[v.Name] = true
	}
}

func varOfField(field string) (Var, bool) {
	for _, v := range Vars {
		if v.field == field {
			return v, true
		}
	}
	return Var{}, false
}

// settingVars walks Config's fields, and those of the structs in it, for
// their tags.
func settingVars() []Var {
	var out []Var
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			name := f.Tag.Get("env")
			if name == "" {
				if f.Type.Kind() == reflect.Struct {
					walk(f.Type)
				}
				continue
			}
			def := f.Tag.Get("doc")
			if d := f.Tag.Get("envDefault"); def == "" && d != "" {
				def = d
			}
			out = append(out, Var{Name: name, Default: def, Meaning: f.Tag.Get("help"),
				Group: Group(f.Tag.Get("group")), field: f.Name, want: f.Tag.Get("want")})
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}

// Text is v's meaning as plain text, for a terminal: links become their
// words and the file they point to.
func (v Var) Text() string {
	return mdLink.ReplaceAllString(v.Meaning, "$1 (docs/$2)")
}

var mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)#]+)(#[^)]*)?\)`)

// Generated markers: docs/configuration.md holds DocsTable between them.
const (
	GeneratedBegin = "<!-- generated by go generate ./outreach/config from the struct tags in outreach/config; do not edit -->"
	GeneratedEnd   = "<!-- end of generated part -->"
)

// DocsTable is the part of docs/configuration.md generated from the tags:
// a table of every variable, and one of the groups.
func DocsTable() string {
	esc := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")
	code := func(s string) string { return varName.ReplaceAllString(s, "`$0`") }
	var b strings.Builder
	b.WriteString("| variable | default | group | meaning |\n|---|---|---|---|\n")
	for _, v := range Vars {
		def := ""
		switch {
		case strings.HasPrefix(v.Default, "("):
			def = code(esc.Replace(v.Default))
		case v.Default != "":
			def = "`" + strings.ReplaceAll(v.Default, "|", `\|`) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, def, v.Group, code(esc.Replace(v.Meaning)))
	}
	b.WriteString("\nEach command reads the groups it uses and no others, so a setting it does not use cannot stop it:\n\n")
	b.WriteString("| group | read by |\n|---|---|\n")
	for _, g := range Groups {
		fmt.Fprintf(&b, "| %s | %s |\n", g, GroupDoc[g])
	}
	return b.String()
}

var varName = regexp.MustCompile(`\b(OUTREACH|TWILIO)_[A-Z_]+[A-Z]\b`)

// ReplaceGenerated returns doc with the text between the generated
// markers replaced by DocsTable.
func ReplaceGenerated(doc string) (string, error) {
	begin := strings.Index(doc, GeneratedBegin)
	end := strings.Index(doc, GeneratedEnd)
	if begin < 0 || end < begin {
		return "", fmt.Errorf("no %q ... %q markers", GeneratedBegin, GeneratedEnd)
	}
	return doc[:begin+len(GeneratedBegin)] + "\n\n" + DocsTable() + "\n" + doc[end:], nil
}
