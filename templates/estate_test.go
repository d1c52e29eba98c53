package templates

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
)

// TestBuiltinSpeaksForTheEstate renders every built-in template for two
// estates and for none: each message names its own estate and number and
// no other's, and without an estate it reads generically (no fixed
// estate words, no empty brackets).
func TestBuiltinSpeaksForTheEstate(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	estates := []outreach.Estate{
		{ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0755-11110001", SMSSignature: "【阳光花园物业】"},
		{ID: "lakeside", Name: "Lakeside Court", ServicePhone: "0755-22220002", SMSSignature: "【湖畔物业】"},
	}
	for _, name := range s.Names() {
		for _, loc := range s.Locales(name) {
			for _, ch := range s.Channels(name, loc) {
				base, variant := baseName(name)
				smp := sample(t, s, name, loc)
				delete(smp.Data, "contact") // the estate's phone is the number to call
				delete(smp.Data, "estate")
				in := Input{Template: base, Variant: variant, Locale: loc, Channel: ch, Resident: smp.Resident, Data: smp.Data, Now: testNow}
				for i, e := range estates {
					in.Estate = e
					r, err := s.Render(in)
					if err != nil {
						t.Fatalf("%s/%s/%s for %s: %v", name, loc, ch, e.ID, err)
					}
					if r.Fallback != "" {
						t.Errorf("%s/%s/%s for %s fell back: %s", name, loc, ch, e.ID, r.Fallback)
					}
					other := estates[1-i]
					all := r.Subject + r.Text + r.HTML
					if !strings.Contains(r.Text, e.Name) && ch == outreach.ChannelEmail {
						t.Errorf("%s/%s/%s: text does not name %s:\n%s", name, loc, ch, e.Name, r.Text)
					}
					if strings.Contains(all, other.Name) || strings.Contains(all, other.ServicePhone) || strings.Contains(all, other.SMSSignature) {
						t.Errorf("%s/%s/%s for %s speaks for %s:\n%s", name, loc, ch, e.ID, other.ID, all)
					}
					if ch == outreach.ChannelSMS && !strings.HasPrefix(r.Text, e.SMSSignature) {
						t.Errorf("%s/%s/sms for %s does not start with %s: %s", name, loc, e.ID, e.SMSSignature, r.Text)
					}
					if ch == outreach.ChannelSMS && strings.Count(r.Text, "【") != 1 {
						t.Errorf("%s/%s/sms for %s: want one signature: %s", name, loc, e.ID, r.Text)
					}
				}
				in.Estate = outreach.Estate{ID: outreach.DefaultEstateID}
				r, err := s.Render(in)
				if err != nil {
					if variant == VariantElderly || base == string(outreach.KindWelcome) {
						continue // they need the number, which neither job nor estate gives
					}
					t.Fatalf("%s/%s/%s for the default estate: %v", name, loc, ch, err)
				}
				for _, bad := range []string{"【】", "[]", "[ ", " ]", "{{", "<no value>"} {
					if strings.Contains(r.Subject+r.Text, bad) {
						t.Errorf("%s/%s/%s for a nameless estate shows %q:\n%s", name, loc, ch, bad, r.Text)
					}
				}
			}
		}
	}
}

// TestContactFallsBackToTheEstate: data.contact wins over the estate's
// service phone, which stands in when the job gives none.
func TestContactFallsBackToTheEstate(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindMaintenanceNotice, "zh-CN", outreach.ChannelSMS)
	in.Estate = outreach.Estate{ID: "sunshine", Name: "阳光花园", ServicePhone: "0755-11110001"}
	r, err := s.Render(in)
	if err != nil || !strings.Contains(r.Text, "0755-12345678") || strings.Contains(r.Text, "0755-11110001") {
		t.Fatalf("with data.contact: %q, %v", r.Text, err)
	}
	delete(in.Data, "contact")
	r, err = s.Render(in)
	if err != nil || !strings.Contains(r.Text, "0755-11110001") {
		t.Fatalf("without data.contact: %q, %v", r.Text, err)
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ text, sig, want string }{
		{"您好", "【阳光花园物业】", "【阳光花园物业】您好"},
		{"【阳光花园物业】您好", "【阳光花园物业】", "【阳光花园物业】您好"},
		{"您好", "", "您好"},
		{"", "【阳光花园物业】", ""},
	} {
		if got := Sign(tt.text, tt.sig); got != tt.want {
			t.Errorf("Sign(%q, %q) = %q, want %q", tt.text, tt.sig, got, tt.want)
		}
	}
}

// TestSignatureCountsInSegments: the signature is part of the SMS text,
// so it counts towards the segments: 66 Chinese characters fit one UCS-2
// segment (70), with 【阳光花园物业】 in front they take two.
func TestSignatureCountsInSegments(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("停", 66)
	s, err := Load(mapFS(map[string]string{"notice/zh-CN/sms.txt.tmpl": text}))
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Template: "notice", Channel: outreach.ChannelSMS}
	for sig, want := range map[string]int{"": 1, "【阳光花园物业】": 2} {
		in.Estate = outreach.Estate{ID: "sunshine", SMSSignature: sig}
		r, err := s.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := sms.Measure(r.Text); got.Segments != want || !strings.HasPrefix(r.Text, sig) {
			t.Errorf("signature %q: %q is %d segments, want %d", sig, r.Text, got.Segments, want)
		}
	}
}
