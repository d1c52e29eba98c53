package templates

import (
	"cmp"
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
)

func TestBuiltinHasEveryKind(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for _, k := range outreach.Kinds {
		if !slices.Contains(s.Names(), string(k)) {
			t.Errorf("no template for kind %s in %v", k, s.Names())
			continue
		}
		if got, want := s.Locales(string(k)), []string{"en", "zh-CN"}; !slices.Equal(got, want) {
			t.Errorf("%s: locales %v, want %v", k, got, want)
		}
		for _, loc := range s.Locales(string(k)) {
			if got := s.Channels(string(k), loc); !slices.Equal(got, outreach.AllChannels) {
				t.Errorf("%s/%s: channels %v, want %v", k, loc, got, outreach.AllChannels)
			}
		}
	}
}

// smsOmits lists the sample data that an SMS leaves out on purpose.
var smsOmits = map[string][]string{
	// SMS asks for a reply by number; the survey link is for email.
	"satisfaction_callback": {"survey_url", "score_url_1", "score_url_2", "score_url_3", "score_url_4", "score_url_5"},
	// A welcome SMS gives the office hours and number; the rest is in the email.
	"welcome": {"move_in", "office_location", "emergency_contact", "notes"},
	// Staff read the details in the email or the work order.
	"escalation": {"reporter_contact", "details"},
	// The satisfaction loop's escalation: the comment, phone and link are in the email.
	"survey_escalation": {"resident_phone", "comment", "survey_url"},
	// The complaint loop: the SMS says what and the reference; the
	// report, the score links and the staff's details are in the email.
	"case_acknowledged": {"description"},
	"case_follow_up":    {"resolution", "score_url_1", "score_url_2", "score_url_3", "score_url_4", "score_url_5"},
	"case_escalation":   {"resident_name", "resident_phone", "description", "case_url"},
}

// TestBuiltinRendersEverySample renders every template x locale x channel
// with its complete sample and checks the message is whole and personal.
func TestBuiltinRendersEverySample(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for _, name := range s.Names() {
		for _, loc := range s.Locales(name) {
			smp := sample(t, s, name, loc)
			base, variant := baseName(name)
			for _, ch := range s.Channels(name, loc) {
				t.Run(name+"/"+loc+"/"+string(ch), func(t *testing.T) {
					t.Parallel()
					in := Input{Template: base, Variant: variant, Locale: loc, Channel: ch, Resident: smp.Resident, Data: smp.Data, Now: testNow}
					r, err := s.Render(in)
					if err != nil {
						t.Fatalf("Render: %v", err)
					}
					if r.Template != base || r.Locale != loc || r.Variant != cmp.Or(variant, DefaultVariant) || len(r.Version) != 12 {
						t.Errorf("rendered as %s/%s variant %q version %q", r.Template, r.Locale, r.Variant, r.Version)
					}
					parts := map[string]string{"text": r.Text}
					if ch == outreach.ChannelEmail {
						parts["subject"], parts["html"] = r.Subject, r.HTML
					} else if r.Subject != "" || r.HTML != "" {
						t.Errorf("SMS has subject %q / HTML %q", r.Subject, r.HTML)
					}
					for part, text := range parts {
						if strings.TrimSpace(text) == "" {
							t.Errorf("%s is empty", part)
						}
						if strings.Contains(text, "no value") || strings.Contains(text, "<nil>") {
							t.Errorf("%s shows a missing value:\n%s", part, text)
						}
					}
					checkShown(t, "text", r.Text, smp, ch, base, false)
					if ch == outreach.ChannelEmail {
						checkShown(t, "html", r.HTML, smp, ch, base, true)
						checkHTML(t, r.HTML, loc)
						if strings.ContainsAny(r.Subject, "\r\n") {
							t.Errorf("subject has a line break: %q", r.Subject)
						}
					} else {
						checkSMS(t, r.Text, loc)
					}
				})
			}
		}
	}
}

// checkShown fails unless the resident's name and every sample data value
// appear in text (times by their hour and minute, as templates format them).
func checkShown(t *testing.T, part, text string, smp Sample, ch outreach.Channel, name string, escaped bool) {
	t.Helper()
	show := func(s string) string {
		if escaped {
			return html.EscapeString(s)
		}
		return s
	}
	if !strings.Contains(text, show(smp.Resident.Name)) {
		t.Errorf("%s does not address %q:\n%s", part, smp.Resident.Name, text)
	}
	for k, v := range smp.Data {
		if ch == outreach.ChannelSMS && slices.Contains(smsOmits[name], k) {
			continue
		}
		want := []string{str(v)}
		if tm, err := time.Parse(time.RFC3339, want[0]); err == nil {
			// A time shows with its time of day or, where only the day
			// matters (a move-in date), with its day as the locale writes it.
			want = []string{tm.Format("15:04"), tm.Format("2006年1月2日"), tm.Format("2 January 2006")}
		}
		if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(text, show(w)) }) {
			t.Errorf("%s lacks data %s=%q:\n%s", part, k, want[0], text)
		}
	}
}

func checkHTML(t *testing.T, h, locale string) {
	t.Helper()
	for _, want := range []string{"<!DOCTYPE html>", `<html lang="` + locale + `">`, `<meta charset="utf-8">`, `name="viewport"`, "</html>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	// No external assets: no images, scripts, style sheets or fonts to fetch.
	for _, bad := range []string{"<img", "<script", "<link", "<style", "url(", "src="} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains %s", bad)
		}
	}
}

// checkSMS holds an SMS to one segment with the sample data: 70 characters
// in UCS-2 (Chinese), 160 in the GSM 7-bit alphabet (English, which must
// stay in that alphabet: one curly quote would halve the room).
func checkSMS(t *testing.T, text, locale string) {
	t.Helper()
	sig, enc := "[Property Office]", sms.EncodingGSM7
	if strings.HasPrefix(locale, "zh") {
		sig, enc = "【物业服务中心】", sms.EncodingUCS2
	}
	if !strings.HasPrefix(text, sig) {
		t.Errorf("SMS does not start with %s: %q", sig, text)
	}
	size := sms.Measure(text)
	if size.Encoding != enc {
		t.Errorf("SMS is %s, want %s: %q", size.Encoding, enc, text)
	}
	if size.Segments != 1 {
		t.Errorf("SMS is %d %s units, %d segments, want 1: %q", size.Units, size.Encoding, size.Segments, text)
	}
}
