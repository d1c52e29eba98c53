package templates

import (
	"errors"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// required lists the data each built-in kind cannot do without.
var required = map[outreach.Kind][]string{
	outreach.KindHolidayGreeting:      {"holiday"},
	outreach.KindMaintenanceNotice:    {"title", "area", "start", "end"},
	outreach.KindSatisfactionCallback: {"service"},
	outreach.KindFollowUp:             {"topic"},
	outreach.KindWelcome:              {"office_hours", "contact"},
	outreach.KindEscalation:           {"issue", "location", "since", "reported_by"},
}

func TestRequiredListCoversKinds(t *testing.T) {
	t.Parallel()
	for _, k := range outreach.Kinds {
		if len(required[k]) == 0 {
			t.Errorf("no required data listed for kind %s", k)
		}
	}
}

// TestMissingVariableIsNamed drops (or blanks, or nulls) each required key
// of each kind and expects an error that names it, in every locale and on
// every channel.
func TestMissingVariableIsNamed(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	blank := map[string]func(map[string]any, string){
		"absent": func(d map[string]any, k string) { delete(d, k) },
		"blank":  func(d map[string]any, k string) { d[k] = "  " },
		"null":   func(d map[string]any, k string) { d[k] = nil },
	}
	for kind, keys := range required {
		for _, loc := range []string{"zh-CN", "en"} {
			for _, ch := range outreach.AllChannels {
				for _, key := range keys {
					for how, drop := range blank {
						t.Run(strings.Join([]string{string(kind), loc, string(ch), key, how}, "/"), func(t *testing.T) {
							t.Parallel()
							in := sampleInput(t, s, kind, loc, ch)
							drop(in.Data, key)
							r, err := s.Render(in)
							var mv *MissingVariableError
							if !errors.As(err, &mv) {
								t.Fatalf("Render = %+v, %v; want a *MissingVariableError", r, err)
							}
							where := string(kind) + "/" + loc + "/" + string(ch)
							if mv.Variable != key || mv.Where != where {
								t.Errorf("error names %q in %q, want %q in %q", mv.Variable, mv.Where, key, where)
							}
							want := `missing variable "` + key + `" in ` + where
							if err.Error() != want {
								t.Errorf("error %q, want %q", err, want)
							}
						})
					}
				}
			}
		}
	}
}

// TestMissingVariableNames pins how text/template's message about a missing
// key is read, for the shapes of field chain a template may use.
func TestMissingVariableNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl string
		want string
	}{
		{`{{.Data.start}}`, "start"},
		{`{{date "2006" .Data.start}}`, "start"},
		{`{{if .Data.start}}x{{end}}`, "start"},
		{`{{with .Data.start}}{{.}}{{end}}`, "start"},
		{`{{.Data.start | upper}}`, "start"},
		{`{{.Data.a_key_longer_than_twenty_characters}}`, "a_key_longer_than_twenty_characters"},
		{`{{.Data.order.id}}`, "order.id"},
		{`{{.Data.very_long_order_key.id}}`, "very_long_order_key.id"},
		{`{{.Resident.Building}}`, "Resident.Building"},
		{`{{.Resident.Attributes.floor}}`, "Resident.Attributes.floor"},
		{`{{$d := .Data}}{{$d.start}}`, "start"},
		{`{{.Dta.start}}`, "Dta"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			t.Parallel()
			s, err := Load(mapFS(map[string]string{"t/zh-CN/sms.txt.tmpl": "x" + tt.tmpl}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			_, err = s.Render(Input{Template: "t", Channel: outreach.ChannelSMS,
				Data: map[string]any{"order": map[string]any{}, "very_long_order_key": map[string]any{}}})
			var mv *MissingVariableError
			if !errors.As(err, &mv) {
				t.Fatalf("Render error %v, want a *MissingVariableError", err)
			}
			if mv.Variable != tt.want {
				t.Errorf("variable %q, want %q (from %v)", mv.Variable, tt.want, mv.Err)
			}
			if mv.Where != "t/zh-CN/sms" {
				t.Errorf("where %q, want t/zh-CN/sms", mv.Where)
			}
		})
	}
}

func TestOptionalDataMayBeMissing(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	optional := map[outreach.Kind][]string{
		outreach.KindHolidayGreeting:      {"message"},
		outreach.KindMaintenanceNotice:    {"reason", "contact"},
		outreach.KindSatisfactionCallback: {"survey_url", "work_order"},
		outreach.KindFollowUp:             {"resolution", "contact"},
		outreach.KindWelcome:              {"estate", "move_in", "office_location", "emergency_contact", "notes"},
		outreach.KindEscalation:           {"reporter_contact", "work_order", "respond_by", "details"},
	}
	for kind, keys := range optional {
		for _, loc := range []string{"zh-CN", "en"} {
			for _, ch := range outreach.AllChannels {
				t.Run(string(kind)+"/"+loc+"/"+string(ch), func(t *testing.T) {
					t.Parallel()
					in := sampleInput(t, s, kind, loc, ch)
					dropped := map[string]string{}
					for _, k := range keys {
						dropped[k] = str(in.Data[k])
						delete(in.Data, k)
					}
					r, err := s.Render(in)
					if err != nil {
						t.Fatalf("Render without %v: %v", keys, err)
					}
					for k, v := range dropped {
						if strings.Contains(r.Text+r.HTML, v) {
							t.Errorf("dropped %s=%q still shows", k, v)
						}
					}
					if strings.Contains(r.Text+r.HTML, "no value") {
						t.Errorf("output shows a missing value:\n%s", r.Text)
					}
				})
			}
		}
	}
}

func TestRenderRejects(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	tests := []struct {
		name    string
		in      Input
		unknown bool // wraps ErrUnknownTemplate
		want    string
	}{
		{"unknown kind", Input{Kind: "birthday", Channel: outreach.ChannelSMS}, true, `no template for kind "birthday"`},
		{"no kind", Input{Channel: outreach.ChannelSMS}, true, "no kind and no template name"},
		{"unknown template", Input{Kind: outreach.KindFollowUp, Template: "nope", Channel: outreach.ChannelSMS}, true, `template "nope"`},
		{"variant in name", Input{Template: "follow_up.elderly", Channel: outreach.ChannelSMS}, true, "name the variant in Variant"},
		{"no channel", Input{Kind: outreach.KindFollowUp}, false, `unknown channel ""`},
		{"bad channel", Input{Kind: outreach.KindFollowUp, Channel: "fax"}, false, `unknown channel "fax"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := s.Render(tt.in)
			if err == nil {
				t.Fatalf("Render = %+v, want an error", r)
			}
			if errors.Is(err, ErrUnknownTemplate) != tt.unknown {
				t.Errorf("errors.Is(%v, ErrUnknownTemplate) = %v, want %v", err, !tt.unknown, tt.unknown)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRenderRejectsMissingChannel(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{"sms_only/zh-CN/sms.txt.tmpl": "hello"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	_, err = s.Render(Input{Template: "sms_only", Channel: outreach.ChannelEmail})
	if !errors.Is(err, ErrUnknownTemplate) || !strings.Contains(err.Error(), "no email version") {
		t.Errorf("Render email of an SMS-only template: %v", err)
	}
}

func TestRenderRejectsEmptyOutput(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{
		"t/zh-CN/subject.txt.tmpl": "{{opt .Data \"subject\"}}",
		"t/zh-CN/body.txt.tmpl":    "body",
		"t/zh-CN/sms.txt.tmpl":     "  {{opt .Data \"text\"}}\n",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, ch := range outreach.AllChannels {
		r, err := s.Render(Input{Template: "t", Channel: ch})
		if err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: Render = %+v, %v; want an empty-output error", ch, r, err)
		}
	}
}
