package unsubscribe

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func newSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner(testSecret, "https://outreach.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLinkRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	link := s.Link("r1001", outreach.ChannelEmail, outreach.KindHolidayGreeting)
	token, ok := strings.CutPrefix(link, "https://outreach.example.com/unsubscribe/")
	if !ok {
		t.Fatalf("Link = %q, want it under the public URL", link)
	}
	r, err := s.Verify(token)
	want := Request{ResidentID: "r1001", Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting}
	if err != nil || r != want {
		t.Errorf("Verify = %+v, %v; want %+v", r, err, want)
	}
}

func TestLinkOnlyForBulkEmail(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	for _, tt := range []struct {
		ch outreach.Channel
		k  outreach.Kind
		id string
	}{
		{outreach.ChannelEmail, outreach.KindMaintenanceNotice, "r1"},
		{outreach.ChannelSMS, outreach.KindHolidayGreeting, "r1"},
		{outreach.ChannelEmail, outreach.KindHolidayGreeting, ""},
	} {
		if l := s.Link(tt.id, tt.ch, tt.k); l != "" {
			t.Errorf("Link(%q, %s, %s) = %q, want none", tt.id, tt.ch, tt.k, l)
		}
	}
	var none *Signer
	if l := none.Link("r1", outreach.ChannelEmail, outreach.KindHolidayGreeting); l != "" {
		t.Errorf("nil Signer made a link %q", l)
	}
}

// TestVerifyRefusesForgeries: nobody can unsubscribe someone else.
func TestVerifyRefusesForgeries(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	good := s.Token(Request{ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting})
	enc, sig, _ := strings.Cut(good, ".")
	other := base64.RawURLEncoding.EncodeToString([]byte(`{"r":"r2","c":"email","k":"holiday_greeting"}`))
	otherSigner, _ := NewSigner("another-secret-another-secret-xx", "https://outreach.example.com")
	tests := map[string]string{
		"another resident, same signature": other + "." + sig,
		"signed with another secret":       otherSigner.Token(Request{ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting}),
		"no signature":                     enc,
		"empty":                            "",
		"truncated signature":              enc + "." + sig[:10],
		"garbage":                          "!!!.???",
		"signed but unknown kind":          s.Token(Request{ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: "tea_party"}),
		"signed but no resident":           s.Token(Request{Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting}),
		"too long":                         strings.Repeat("a", 2000) + "." + sig,
	}
	for name, token := range tests {
		if r, err := s.Verify(token); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify = %+v, %v; want ErrInvalid", name, r, err)
		}
	}
}

func TestNewSignerValidates(t *testing.T) {
	t.Parallel()
	if _, err := NewSigner("short", "https://x.example"); err == nil || !strings.Contains(err.Error(), EnvSecret) {
		t.Errorf("short secret: %v, want an error naming %s", err, EnvSecret)
	}
	if _, err := NewSigner(testSecret, "outreach.example.com"); err == nil || !strings.Contains(err.Error(), "OUTREACH_PUBLIC_URL") {
		t.Errorf("relative public URL: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner(testSecret, "https://outreach.example.com")
	f.Add(s.Token(Request{ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting}))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, token string) {
		r, err := s.Verify(token)
		if err == nil && (r.ResidentID == "" || !r.Kind.Valid()) {
			t.Fatalf("Verify(%q) accepted %+v", token, r)
		}
	})
}
