package templates

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestHTMLEscapesResidentAndJobData(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	const name = `<script>alert("x")</script>`
	for _, kind := range outreach.Kinds {
		for _, loc := range []string{"zh-CN", "en"} {
			t.Run(string(kind)+"/"+loc, func(t *testing.T) {
				t.Parallel()
				in := sampleInput(t, s, kind, loc, outreach.ChannelEmail)
				in.Resident.Name = name
				for k := range in.Data {
					in.Data[k] = `<b onclick="evil()">` + k + `</b>`
				}
				// Times would not parse any more; they print as they are.
				r, err := s.Render(in)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				for _, bad := range []string{"<script", "<b ", "onclick=\""} {
					if strings.Contains(r.HTML, bad) {
						t.Errorf("HTML contains unescaped %q:\n%s", bad, r.HTML)
					}
				}
				if !strings.Contains(r.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
					t.Errorf("HTML lacks the escaped name:\n%s", r.HTML)
				}
				if !strings.Contains(r.Text, name) {
					t.Errorf("plain text does not keep the name as it is:\n%s", r.Text)
				}
			})
		}
	}
}

func TestHTMLSanitizesLinks(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindSatisfactionCallback, "en", outreach.ChannelEmail)
	in.Data["survey_url"] = "javascript:alert(1)"
	r, err := s.Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(r.HTML, `href="javascript:`) || !strings.Contains(r.HTML, `href="#ZgotmplZ"`) {
		t.Errorf("HTML does not neutralize a javascript: link:\n%s", r.HTML)
	}
}

func TestTextAndSMSAreNotEscaped(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	const name = "O'Brien & Sons"
	const title = `Tom & Jerry's "big" <repair>`
	for _, loc := range []string{"zh-CN", "en"} {
		for _, ch := range outreach.AllChannels {
			t.Run(loc+"/"+string(ch), func(t *testing.T) {
				t.Parallel()
				in := sampleInput(t, s, outreach.KindMaintenanceNotice, loc, ch)
				in.Resident.Name = name
				in.Data["title"] = title
				r, err := s.Render(in)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				for _, part := range []string{r.Text, r.Subject} {
					if ch == outreach.ChannelSMS && part == r.Subject {
						continue
					}
					if !strings.Contains(part, title) {
						t.Errorf("%q is not kept as it is in %q", title, part)
					}
					if strings.Contains(part, "&amp;") || strings.Contains(part, "&#39;") || strings.Contains(part, "&lt;") {
						t.Errorf("plain text is HTML-escaped: %q", part)
					}
				}
				if !strings.Contains(r.Text, name) {
					t.Errorf("name %q is not kept as it is:\n%s", name, r.Text)
				}
				if ch == outreach.ChannelEmail && !strings.Contains(r.HTML, "O&#39;Brien &amp; Sons") {
					t.Errorf("HTML lacks the escaped name:\n%s", r.HTML)
				}
			})
		}
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindMaintenanceNotice, "en", outreach.ChannelEmail)
	in.Data["title"] = "Water\r\nBcc: victim@example.com\n"
	r, err := s.Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if want := "Notice: Water Bcc: victim@example.com (Building 3)"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
}

func TestResidentWithoutNameIsGreetedGenerically(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	greeting := map[string]string{"zh-CN": "尊敬的住户，您好", "en": "Dear Resident,"}
	staff := map[string]string{"zh-CN": "同事，您好", "en": "Hello team,"} // escalations go to staff
	for _, kind := range outreach.Kinds {
		for loc, want := range greeting {
			if kind == outreach.KindEscalation {
				want = staff[loc]
			}
			in := sampleInput(t, s, kind, loc, outreach.ChannelEmail)
			in.Resident.Name = " "
			r, err := s.Render(in)
			if err != nil {
				t.Fatalf("%s/%s: Render: %v", kind, loc, err)
			}
			if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
				t.Errorf("%s/%s: no generic greeting %q:\n%s", kind, loc, want, r.Text)
			}
		}
	}
}
