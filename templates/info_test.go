package templates

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestList(t *testing.T) {
	t.Parallel()
	s, err := builtinSet(t).Overlay(mapFS(map[string]string{"parking/zh-CN/sms.txt.tmpl": "车位"}))
	if err != nil {
		t.Fatal(err)
	}
	list := s.List()
	seen := map[Info]bool{}
	for _, i := range list {
		if len(i.Version) != 12 || i.Origin == "" {
			t.Errorf("incomplete %+v", i)
		}
		key := i
		key.Version, key.Origin, key.HasSample = "", "", false
		seen[key] = true
	}
	for _, want := range []Info{
		{Template: "maintenance_notice", Variant: DefaultVariant, Locale: "zh-CN", Channel: outreach.ChannelEmail},
		{Template: "maintenance_notice", Variant: VariantElderly, Locale: "en", Channel: outreach.ChannelSMS},
		{Template: "welcome", Variant: VariantElderly, Locale: "zh-CN", Channel: outreach.ChannelEmail},
		{Template: "escalation", Variant: DefaultVariant, Locale: "en", Channel: outreach.ChannelSMS},
		{Template: "parking", Variant: DefaultVariant, Locale: "zh-CN", Channel: outreach.ChannelSMS},
	} {
		if !seen[want] {
			t.Errorf("List lacks %+v", want)
		}
	}
	// 6 kinds + 9 variants, 2 locales, 2 channels each, the satisfaction
	// loop's survey_escalation (2 locales, 2 channels) and survey_reask
	// with its elderly variant (2 locales, SMS only), the complaint loop's
	// four case_ templates (2 locales, 2 channels) with the elderly and
	// new_resident variants of three (2 locales, SMS only), plus
	// parking's one.
	if got, want := len(list), (6+9)*2*2+2*2+2*2+4*2*2+3*2*2+1; got != want {
		t.Errorf("List has %d entries, want %d", got, want)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	b := builtinSet(t)
	again, err := Load(BuiltinFS())
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest() != again.Digest() || len(b.Digest()) != 12 {
		t.Errorf("digest %q then %q, want the same 12 hex digits", b.Digest(), again.Digest())
	}
	over, err := b.Overlay(mapFS(map[string]string{"follow_up/en/sms.txt.tmpl": "[Acme] {{.Data.topic}}"}))
	if err != nil {
		t.Fatal(err)
	}
	if over.Digest() == b.Digest() {
		t.Error("an override did not change the digest")
	}
}

func TestSampleFor(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	tests := []struct {
		in   Input
		want string // resident id of the sample
	}{
		{Input{Kind: outreach.KindMaintenanceNotice, Locale: "en", Channel: outreach.ChannelSMS}, "r-0302"},
		{Input{Kind: outreach.KindMaintenanceNotice, Locale: "en-GB", Variant: VariantElderly, Channel: outreach.ChannelSMS}, "r-0102"},
		{Input{Kind: outreach.KindEscalation, Locale: "zh-TW", Variant: VariantElderly, Channel: outreach.ChannelEmail}, "s-017"},
	}
	for _, tt := range tests {
		smp, ok := s.SampleFor(tt.in)
		if !ok || smp.Resident.ID != tt.want {
			t.Errorf("SampleFor(%+v) = %s, %v; want the sample of %s", tt.in, smp.Resident.ID, ok, tt.want)
		}
	}
	if _, ok := s.SampleFor(Input{Kind: "nope", Channel: outreach.ChannelSMS}); ok {
		t.Error("SampleFor of an unknown kind found a sample")
	}
}
