package templates

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// FuzzRender feeds arbitrary names, data and locales to every built-in
// kind: Render must not panic, and a message it returns is never empty and
// never shows a missing value.
func FuzzRender(f *testing.F) {
	f.Add(uint8(0), "张伟", "计划停水", "2026-03-01T09:00:00+08:00", "zh-CN", "elderly", false)
	f.Add(uint8(1), "<script>", "O'Brien & Sons", "{{.Data.x}}", "en-GB", "", true)
	f.Add(uint8(2), "", "", "", "", "", false)
	f.Add(uint8(3), "\x00\xff", "%v%s", "2026-13-45T99:99:99Z", "zh_TW.UTF-8", "../x", true)
	s, err := Builtin()
	if err != nil {
		f.Fatalf("Builtin: %v", err)
	}
	f.Add(uint8(4), "陈桂兰", "阳光花园", "2026-03-01T10:00:00+08:00", "zh-HK", "elderly", true)
	f.Add(uint8(5), "Tom", "leak", "2026-03-01T07:30:00Z", "en", "new_resident", false)
	f.Fuzz(func(t *testing.T, kind uint8, name, value, when, locale, variant string, sms bool) {
		ch := outreach.ChannelEmail
		if sms {
			ch = outreach.ChannelSMS
		}
		data := map[string]any{"survey_url": value, "nested": map[string]any{"x": value}}
		for _, k := range []string{"start", "end", "since", "move_in", "respond_by"} {
			data[k] = when
		}
		for _, k := range []string{"title", "area", "reason", "contact", "holiday", "message", "service", "work_order", "topic", "resolution",
			"office_hours", "estate", "office_location", "emergency_contact", "notes", "issue", "location", "reported_by", "reporter_contact", "details"} {
			data[k] = value
		}
		in := Input{
			Kind:     outreach.Kinds[int(kind)%len(outreach.Kinds)],
			Locale:   locale,
			Variant:  variant,
			Channel:  ch,
			Resident: outreach.Resident{Name: name, Attributes: map[string]string{value: name}, TimeZone: value},
			Data:     data,
			Now:      testNow,
		}
		r, err := s.Render(in)
		if err != nil {
			return // blank values are missing variables; that is an error, not a panic
		}
		if strings.TrimSpace(r.Text) == "" || (ch == outreach.ChannelEmail && (r.Subject == "" || r.HTML == "")) {
			t.Errorf("empty message: %+v", r)
		}
		if !strings.Contains(value+name+when, "no value") && strings.Contains(r.Text+r.Subject+r.HTML, "no value") {
			t.Errorf("message shows a missing value: %+v", r)
		}
	})
}
