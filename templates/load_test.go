package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestLoadRejects(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"t/zh-CN/subject.txt.tmpl": "s",
		"t/zh-CN/body.txt.tmpl":    "b",
		"t/zh-CN/sms.txt.tmpl":     "m",
	}
	with := func(extra map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty", map[string]string{"README.md": "x"}, "no templates found"},
		{"bad name", with(map[string]string{"Notice/zh-CN/sms.txt.tmpl": "x"}), `Notice: template folder name must be`},
		{"file in template folder", with(map[string]string{"t/notes.txt": "x"}), `t/notes.txt: unexpected file`},
		{"locale not canonical", with(map[string]string{"t/en-gb/sms.txt.tmpl": "x"}), `t/en-gb: folder is not a locale`},
		{"not a locale", with(map[string]string{"t/english/sms.txt.tmpl": "x"}), `t/english: folder is not a locale`},
		{"misspelt file", with(map[string]string{"t/zh-CN/subjet.txt.tmpl": "x"}), `t/zh-CN/subjet.txt.tmpl: unexpected file`},
		{"folder in locale", with(map[string]string{"t/zh-CN/x/sms.txt.tmpl": "x"}), `t/zh-CN/x: unexpected file`},
		{"subject alone", with(nil, "t/zh-CN/body.txt.tmpl"), "email needs both"},
		{"html alone", map[string]string{"t/zh-CN/body.html.tmpl": "<p>x</p>", "t/zh-CN/sms.txt.tmpl": "m"}, "body.html.tmpl needs"},
		{"no channel", map[string]string{"t/zh-CN/sample.json": "{}"}, "no email"},
		{"no default locale", map[string]string{"t/en/sms.txt.tmpl": "m"}, "no zh-CN folder"},
		{"default lacks a channel", with(map[string]string{"t/en/sms.txt.tmpl": "m"}, "t/zh-CN/sms.txt.tmpl"), "en has sms but zh-CN does not"},
		{"variant without base", with(map[string]string{"u.elderly/zh-CN/sms.txt.tmpl": "m"}), `variant of "u"`},
		{"text parse error", with(map[string]string{"t/zh-CN/sms.txt.tmpl": "{{.Data.x"}), "t/zh-CN/sms.txt.tmpl"},
		{"unknown helper", with(map[string]string{"t/zh-CN/sms.txt.tmpl": `{{money .Data.x}}`}), `function "money" not defined`},
		{"html parse error", with(map[string]string{"t/zh-CN/body.html.tmpl": "{{end}}"}), "t/zh-CN/body.html.tmpl"},
		{"html escaping error", with(map[string]string{"t/zh-CN/body.html.tmpl": `{{if .Data.x}}<a href="{{else}}<b>{{end}}x`}), "branches end in different contexts"},
		{"bad sample", with(map[string]string{"t/zh-CN/sample.json": `{"dataa": {}}`}), `t/zh-CN/sample.json:1: read sample: json: unknown field "dataa"`},
		{"sample fails", with(map[string]string{"t/zh-CN/sms.txt.tmpl": "{{.Data.x}}", "t/zh-CN/sample.json": `{"data": {"y": 1}}`}), `t/zh-CN/sms.txt.tmpl:1:7: render sample.json: missing variable "x" in t/zh-CN/sms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Load(mapFS(tt.files))
			if err == nil {
				t.Fatalf("Load = %v, want an error containing %q", s.Names(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadSkipsHiddenAndTopLevelFiles(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{
		"README.md":                  "how to write templates",
		".git/config":                "x",
		"_drafts/zh-CN/sms.txt.tmpl": "{{broken",
		"t/.DS_Store":                "x",
		"t/zh-CN/.swp":               "x",
		"t/zh-CN/sms.txt.tmpl":       "hello",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := s.Names(); len(got) != 1 || got[0] != "t" {
		t.Errorf("Names = %v, want [t]", got)
	}
}

// TestLoadDirectory loads from a real folder, as an operator's override
// folder would be, with Windows line ends.
func TestLoadDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "notice", "zh-CN")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "sms.txt.tmpl"), []byte("line 1\r\nline {{.Data.n}}\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	r, err := s.Render(Input{Template: "notice", Channel: outreach.ChannelSMS, Data: map[string]any{"n": 2}})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if r.Text != "line 1\nline 2" {
		t.Errorf("text %q, want %q", r.Text, "line 1\nline 2")
	}
	if _, err := Load(os.DirFS(filepath.Join(dir, "missing"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing folder: %v, want fs.ErrNotExist", err)
	}
}

func TestOverlay(t *testing.T) {
	t.Parallel()
	base := builtinSet(t)
	over, err := base.Overlay(mapFS(map[string]string{
		"maintenance_notice/en/sms.txt.tmpl": "[Acme Homes] {{.Data.title}}",
		"parking/zh-CN/sms.txt.tmpl":         "【物业服务中心】{{.Resident.Name}}您好：车位年检请于本月内办理。",
	}))
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	render := func(s *Set, in Input) Rendered {
		t.Helper()
		r, err := s.Render(in)
		if err != nil {
			t.Fatalf("Render %s/%s/%s: %v", in.Kind+outreach.Kind(in.Template), in.Locale, in.Channel, err)
		}
		return r
	}
	in := sampleInput(t, base, outreach.KindMaintenanceNotice, "en", outreach.ChannelSMS)
	if r := render(over, in); r.Text != "[Acme Homes] Planned water shut-off" {
		t.Errorf("overridden en SMS: %q", r.Text)
	}
	if r := render(base, in); !strings.HasPrefix(r.Text, "[Property Office]") {
		t.Errorf("Overlay changed the base set: %q", r.Text)
	}
	// The other locale of the same template is still the built-in one.
	zh := sampleInput(t, base, outreach.KindMaintenanceNotice, "zh-CN", outreach.ChannelSMS)
	if a, b := render(over, zh), render(base, zh); a != b {
		t.Errorf("zh-CN changed by an en override: %+v vs %+v", a, b)
	}
	// The en email is not in the override folder: it stays the built-in one.
	in.Channel = outreach.ChannelEmail
	if a, b := render(over, in), render(base, in); a != b {
		t.Errorf("en email changed by an SMS-only en override: %+v vs %+v", a, b)
	}
	r := render(over, Input{Template: "parking", Channel: outreach.ChannelSMS, Resident: outreach.Resident{Name: "李娜"}})
	if r.Text != "【物业服务中心】李娜您好：车位年检请于本月内办理。" {
		t.Errorf("new template: %q", r.Text)
	}

	if _, err := base.Overlay(mapFS(map[string]string{"parking/en/sms.txt.tmpl": "hi"})); err == nil {
		t.Error("Overlay accepted a new template without the default locale")
	}
}

func TestVariant(t *testing.T) {
	t.Parallel()
	base := builtinSet(t)
	s, err := base.Overlay(mapFS(map[string]string{
		"maintenance_notice.gentle/zh-CN/sms.txt.tmpl": "【物业服务中心】{{.Resident.Name}}您好：{{.Data.area}}{{.Data.title}}。有困难请找我们帮忙。",
	}))
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	tests := []struct {
		locale, variant string
		wantVariant     string
		wantLocale      string
	}{
		{"zh-CN", "gentle", "gentle", "zh-CN"},
		{"zh", "gentle", "gentle", "zh-CN"},
		{"en", "gentle", DefaultVariant, "en"}, // the resident's language wins over the variant
		{"fr", "gentle", "gentle", "zh-CN"},    // default locale: the variant has it
		{"zh-CN", "brief", DefaultVariant, "zh-CN"},
		{"zh-CN", "", DefaultVariant, "zh-CN"},
		{"zh-CN", DefaultVariant, DefaultVariant, "zh-CN"},
	}
	for _, tt := range tests {
		in := sampleInput(t, base, outreach.KindMaintenanceNotice, "zh-CN", outreach.ChannelSMS)
		in.Locale, in.Variant = tt.locale, tt.variant
		r, err := s.Render(in)
		if err != nil {
			t.Errorf("%s/%s: Render: %v", tt.locale, tt.variant, err)
			continue
		}
		if r.Template != "maintenance_notice" || r.Variant != tt.wantVariant || r.Locale != tt.wantLocale {
			t.Errorf("%s/%s: rendered %s variant %s in %s, want variant %s in %s",
				tt.locale, tt.variant, r.Template, r.Variant, r.Locale, tt.wantVariant, tt.wantLocale)
		}
		if gentle := strings.Contains(r.Text, "找我们帮忙"); gentle != (tt.wantVariant == "gentle") {
			t.Errorf("%s/%s: text %q", tt.locale, tt.variant, r.Text)
		}
	}
	// The variant has no email: email falls back to the base template.
	in := sampleInput(t, base, outreach.KindMaintenanceNotice, "zh-CN", outreach.ChannelEmail)
	in.Variant = "gentle"
	if r, err := s.Render(in); err != nil || r.Variant != DefaultVariant {
		t.Errorf("email with a variant that has only SMS: %+v, %v", r, err)
	}
}
