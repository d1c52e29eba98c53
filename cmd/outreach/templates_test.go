package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/preview"
	"github.com/outreach-dev/outreach/outreach/store"
)

// runTemplates runs `outreach templates ARGS` with the given environment
// and returns the exit status, stdout and stderr.
func runTemplates(t *testing.T, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
	status := runArgs(context.Background(), e, append([]string{"templates"}, args...), false)
	return status, stdout.String(), stderr.String()
}

// previewEnv is an environment whose archive holds a few residents.
func previewEnv(t *testing.T) map[string]string {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.UpsertResidents(context.Background(), []outreach.Resident{
		{ID: "r1001", Name: "王秀英", Locale: "zh-CN", Building: "1", Unit: "1201", Tags: []string{"elderly"}},
		{ID: "r1002", Name: "李明", Locale: "zh-CN", Building: "1", Unit: "802"},
		{ID: "r1003", Name: "Emily Carter", Locale: "en-GB", Building: "2", Unit: "305", Tags: []string{"new_resident"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"OUTREACH_DATABASE_URL": url, "OUTREACH_TIMEZONE": "Asia/Shanghai"}
}

var noticeData = []string{"--data", "title=计划停水", "--data", "area=1号楼", "--data", "start=2026-12-02T09:00:00+08:00",
	"--data", "end=2026-12-02T12:00:00+08:00", "--data", "contact=0755-88888888"}

func previewJSON(t *testing.T, environ map[string]string, args ...string) preview.Preview {
	t.Helper()
	status, stdout, stderr := runTemplates(t, environ, append([]string{"preview", "--json"}, args...)...)
	if status != 0 {
		t.Fatalf("preview %v: status %d\n%s", args, status, stderr)
	}
	var p preview.Preview
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("preview --json printed %q: %v", stdout, err)
	}
	return p
}

// TestPreviewDiffersByVariant: the same notice for an elderly and a
// regular resident renders in different variants, with different text.
func TestPreviewDiffersByVariant(t *testing.T) {
	t.Parallel()
	environ := previewEnv(t)
	old := previewJSON(t, environ, append([]string{"--kind", "maintenance_notice", "--resident", "r1001"}, noticeData...)...)
	plain := previewJSON(t, environ, append([]string{"--kind", "maintenance_notice", "--resident", "r1002"}, noticeData...)...)
	if old.Variant != "elderly" || plain.Variant != "default" {
		t.Errorf("variants %q and %q, want elderly and default", old.Variant, plain.Variant)
	}
	if len(old.Renderings) != 2 || len(plain.Renderings) != 2 {
		t.Fatalf("renderings %d and %d, want email and SMS for each", len(old.Renderings), len(plain.Renderings))
	}
	for i, ch := range outreach.AllChannels {
		o, p := old.Renderings[i], plain.Renderings[i]
		if o.Channel != ch || o.Variant != "elderly" || p.Variant != "default" || o.Locale != "zh-CN" {
			t.Errorf("%s: rendered %+v and %+v", ch, o, p)
		}
		if o.Text == p.Text || o.Version == p.Version {
			t.Errorf("%s: elderly and regular residents got the same message", ch)
		}
		if !strings.Contains(o.Text, "0755-88888888") {
			t.Errorf("%s: elderly message has no number to call:\n%s", ch, o.Text)
		}
	}
	if h := old.Renderings[0].HTML; !strings.Contains(h, "font-size:20px") {
		t.Errorf("elderly HTML is not in large type:\n%s", h)
	}
	sms := old.Renderings[1]
	if sms.SMS == nil || sms.SMS.Encoding != "UCS-2" || sms.SMS.Segments != 1 || sms.Subject != "" {
		t.Errorf("SMS rendering %+v, want UCS-2 in one segment", sms)
	}
}

// TestPreviewInResidentLanguage: an English resident (en-GB) gets the
// English template, with its English date and GSM-7 SMS.
func TestPreviewInResidentLanguage(t *testing.T) {
	t.Parallel()
	p := previewJSON(t, previewEnv(t), "--kind", "maintenance_notice", "--resident", "r1003",
		"--data", "title=Water off", "--data", "area=Building 2", "--data", "start=2026-12-02T09:00:00+08:00",
		"--data", "end=2026-12-02T12:00:00+08:00")
	email, sms := p.Renderings[0], p.Renderings[1]
	if email.Locale != "en" || p.Variant != "new_resident" || !strings.Contains(email.Text, "Wednesday 2 December 2026, 09:00 to 12:00") ||
		!strings.HasPrefix(email.Text, "Dear Emily Carter,") || email.TimeZone != "Asia/Shanghai" {
		t.Errorf("email %+v, want English, new_resident, times in Asia/Shanghai", email)
	}
	if sms.SMS == nil || sms.SMS.Encoding != "GSM-7" {
		t.Errorf("SMS %+v, want GSM-7", sms)
	}
}

// TestPreviewNamesMissingVariable: data the template needs and the
// command line lacks fails, naming the variable; --sample fills it in.
func TestPreviewNamesMissingVariable(t *testing.T) {
	t.Parallel()
	environ := previewEnv(t)
	status, stdout, stderr := runTemplates(t, environ, "preview", "--kind", "maintenance_notice", "--resident", "r1002",
		"--channel", "sms", "--data", "title=Lift fault", "--data", "start=now", "--data", "end=later")
	if status != 1 || !strings.Contains(stderr, `missing variable "area"`) || !strings.Contains(stdout, `missing variable "area"`) {
		t.Errorf("status %d, stdout %q, stderr %q; want 1 and the missing variable named", status, stdout, stderr)
	}
	// The elderly variant needs a number to call: without one (the job
	// has none, the default estate neither) the default variant renders,
	// and the preview says why.
	status, stdout, stderr = runTemplates(t, environ, "preview", "--kind", "holiday_greeting", "--resident", "r1001", "--data", "holiday=春节")
	if status != 0 || !strings.Contains(stdout, "variant default") || !strings.Contains(stdout, "fell back to the default variant (variant elderly: missing contact)") {
		t.Errorf("elderly greeting without contact: status %d, stdout %q, stderr %q; want the default variant and why", status, stdout, stderr)
	}
	p := previewJSON(t, environ, "--kind", "holiday_greeting", "--resident", "r1001", "--sample", "--data", "holiday=中秋节")
	if r := p.Renderings[1]; r.Error != "" || !strings.Contains(r.Text, "中秋节") || !strings.Contains(r.Text, "0755-12345678") {
		t.Errorf("with --sample: %+v, want the sample's contact and the given holiday", r)
	}
}

func TestPreviewText(t *testing.T) {
	t.Parallel()
	status, stdout, stderr := runTemplates(t, previewEnv(t), append([]string{"preview", "--kind", "maintenance_notice", "--resident", "r1001"}, noticeData...)...)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{"Kind:     maintenance_notice, variant elderly", "=== email: template maintenance_notice, variant elderly, locale zh-CN, version ",
		"Subject: 通知：1号楼计划停水", "--- HTML ---", "=== sms: ", "SMS: UCS-2, 1 segment ("} {
		if !strings.Contains(stdout, want) {
			t.Errorf("preview lacks %q:\n%s", want, stdout)
		}
	}
}

func TestPreviewRejects(t *testing.T) {
	t.Parallel()
	environ := previewEnv(t)
	tests := []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"preview", "--kind", "maintenance_notice"}, 2, "--kind and --resident are required"},
		{[]string{"preview", "--kind", "party", "--resident", "r1001"}, 2, `unknown kind "party"`},
		{[]string{"preview", "--kind", "follow_up", "--resident", "r1001", "--channel", "fax"}, 2, `unknown channel "fax"`},
		{[]string{"preview", "--kind", "follow_up", "--resident", "nobody"}, 1, `unknown resident "nobody"`},
		{[]string{"frobnicate"}, 2, "unknown subcommand frobnicate"},
	}
	for _, tt := range tests {
		status, _, stderr := runTemplates(t, environ, tt.args...)
		if status != tt.status || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: status %d, stderr %q; want %d with %q", tt.args, status, stderr, tt.status, tt.want)
		}
	}
}

func TestTemplatesCheck(t *testing.T) {
	t.Parallel()
	status, stdout, stderr := runTemplates(t, nil, "check")
	if status != 0 || !strings.HasPrefix(stdout, "ok: built-in templates: 12 templates and 16 variants") {
		t.Errorf("check of the built-in set: %d %q %q", status, stdout, stderr)
	}

	dir := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("follow_up/en/sms.txt.tmpl", "[Acme] {{.Data.topic}}")
	write("parking/zh-CN/sms.txt.tmpl", "【物业服务中心】车位年检")
	status, stdout, _ = runTemplates(t, nil, "check", "--dir", dir)
	if status != 0 || !strings.Contains(stdout, "ok: "+dir+" over the built-in templates") ||
		!strings.Contains(stdout, "warning: parking/zh-CN ("+dir+") has no sample.json") {
		t.Errorf("check of a good folder: %d\n%s", status, stdout)
	}

	// Two broken files: both reported with file and line, exit 1. The
	// folder comes from OUTREACH_TEMPLATES_DIR this time.
	write("follow_up/en/sms.txt.tmpl", "[Acme]\n{{.Data.topic")
	write("parking/zh-CN/body.txt.tmpl", "x")
	status, _, stderr = runTemplates(t, map[string]string{"OUTREACH_TEMPLATES_DIR": dir}, "check")
	for _, want := range []string{filepath.Join(dir, "follow_up", "en", "sms.txt.tmpl") + ":2:", filepath.Join(dir, "parking", "zh-CN") + ": email needs both"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check of a broken folder lacks %q:\n%s", want, stderr)
		}
	}
	if status != 1 {
		t.Errorf("check of a broken folder: status %d, want 1", status)
	}
}

func TestTemplatesList(t *testing.T) {
	t.Parallel()
	status, stdout, _ := runTemplates(t, nil, "list")
	if status != 0 || !strings.Contains(stdout, "TEMPLATE") || !strings.Contains(stdout, "escalation") || !strings.Contains(stdout, "built-in") {
		t.Errorf("list: %d\n%s", status, stdout)
	}
	status, stdout, _ = runTemplates(t, map[string]string{"OUTREACH_LOCALE_FALLBACK": "fr=en"}, "list", "--json")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	// 60 for the kinds and their variants, 8 for the satisfaction loop's
	// survey_escalation and survey_reask (with its elderly variant), 28 for
	// the complaint loop's case_acknowledged, case_resolved, case_follow_up
	// (with their elderly and new_resident variants) and case_escalation.
	if status != 0 || len(lines) != 96 {
		t.Fatalf("list --json: status %d, %d lines, want 96", status, len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["template"] != "case_acknowledged" || first["version"] == "" {
		t.Errorf("first line %s: %v", lines[0], err)
	}
	if status, _, stderr := runTemplates(t, map[string]string{"OUTREACH_LOCALE_FALLBACK": "fr=xx"}, "list"); status != 1 || !strings.Contains(stderr, "fr=xx") {
		t.Errorf("list with a fallback to nowhere: %d %q", status, stderr)
	}
}
