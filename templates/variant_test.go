package templates

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestVariantFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tags []string
		want string
	}{
		{"no tags", nil, DefaultVariant},
		{"other tags", []string{"vip", "owner"}, DefaultVariant},
		{"elderly", []string{"elderly"}, VariantElderly},
		{"new resident", []string{"new_resident"}, VariantNewResident},
		{"elderly wins, in either order", []string{"new_resident", "elderly"}, VariantElderly},
		{"elderly wins among others", []string{"vip", "elderly", "new_resident"}, VariantElderly},
		{"case and space do not matter", []string{" Elderly "}, VariantElderly},
		{"new resident in capitals", []string{"NEW_RESIDENT"}, VariantNewResident},
		{"a look-alike is not the tag", []string{"elderly_care", "new-resident"}, DefaultVariant},
		{"empty tag", []string{""}, DefaultVariant},
	}
	for _, tt := range tests {
		if got := VariantFor(outreach.Resident{Tags: tt.tags}); got != tt.want {
			t.Errorf("%s: VariantFor(%q) = %q, want %q", tt.name, tt.tags, got, tt.want)
		}
	}
}

// builtinVariants lists the variants the built-in set is written in.
var builtinVariants = map[outreach.Kind][]string{
	outreach.KindHolidayGreeting:      {VariantElderly, VariantNewResident},
	outreach.KindMaintenanceNotice:    {VariantElderly, VariantNewResident},
	outreach.KindSatisfactionCallback: {VariantElderly, VariantNewResident},
	outreach.KindFollowUp:             {VariantElderly, VariantNewResident},
	outreach.KindWelcome:              {VariantElderly}, // a welcome is for new residents already
	outreach.KindEscalation:           nil,              // goes to staff
}

func TestBuiltinVariants(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for _, k := range outreach.Kinds {
		want, ok := builtinVariants[k]
		if !ok {
			t.Errorf("kind %s missing from builtinVariants", k)
		}
		if got := s.Variants(string(k)); !slices.Equal(got, want) {
			t.Errorf("%s: variants %v, want %v", k, got, want)
		}
		for _, v := range want {
			name := string(k) + "." + v
			if got := s.Locales(name); !slices.Equal(got, []string{"en", "zh-CN"}) {
				t.Errorf("%s: locales %v, want en and zh-CN", name, got)
			}
			for _, loc := range s.Locales(name) {
				if got := s.Channels(name, loc); !slices.Equal(got, outreach.AllChannels) {
					t.Errorf("%s/%s: channels %v, want %v", name, loc, got, outreach.AllChannels)
				}
			}
		}
	}
}

// TestVariantsTakeTheKindsData renders every variant with the sample data
// of its kind's default template (all optional data included), so that a
// job written for the kind renders in every variant: new_resident needs
// nothing more, elderly needs "contact" and nothing else.
func TestVariantsTakeTheKindsData(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for kind, variants := range builtinVariants {
		for _, v := range variants {
			for _, loc := range []string{"zh-CN", "en"} {
				for _, ch := range outreach.AllChannels {
					t.Run(string(kind)+"."+v+"/"+loc+"/"+string(ch), func(t *testing.T) {
						t.Parallel()
						in := sampleInput(t, s, kind, loc, ch)
						in.Variant = v
						if v == VariantElderly {
							in.Data["contact"] = "0755-00001111"
						}
						r, err := s.Render(in)
						if err != nil {
							t.Fatalf("Render: %v", err)
						}
						if r.Variant != v {
							t.Errorf("variant %q, want %q", r.Variant, v)
						}
						if v == VariantElderly && !strings.Contains(r.Text, "0755-00001111") {
							t.Errorf("elderly message has no number to call:\n%s", r.Text)
						}
					})
				}
			}
		}
	}
}

// TestElderlyWithoutContact: the number to call is what the elderly
// variant exists for. A job without data.contact takes the estate's
// service phone; when the estate has none either, the resident still gets
// the message, in the default variant, and the rendering says why.
func TestElderlyWithoutContact(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for kind, variants := range builtinVariants {
		if !slices.Contains(variants, VariantElderly) {
			continue
		}
		for _, loc := range []string{"zh-CN", "en"} {
			for _, ch := range outreach.AllChannels {
				smp := sample(t, s, string(kind)+"."+VariantElderly, loc)
				delete(smp.Data, "contact")
				in := Input{Kind: kind, Variant: VariantElderly, Locale: loc, Channel: ch, Resident: smp.Resident, Data: smp.Data}
				got, err := s.Render(in)
				if kind == outreach.KindWelcome { // the default welcome needs the number too: the kind's own need
					var mv *MissingVariableError
					if !errors.As(err, &mv) || mv.Variable != "contact" {
						t.Errorf("%s/%s/%s without contact: %v, want a missing variable \"contact\"", kind, loc, ch, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s/%s/%s without contact: %v, want the default variant", kind, loc, ch, err)
				}
				if got.Variant != DefaultVariant || got.Fallback != "variant elderly: missing contact" ||
					got.FallbackVariant != VariantElderly || got.FallbackReason != FallbackMissingVariable {
					t.Errorf("%s/%s/%s without contact: variant %q fallback %q (%s, %s)", kind, loc, ch,
						got.Variant, got.Fallback, got.FallbackVariant, got.FallbackReason)
				}

				in.Estate = outreach.Estate{ID: "sunshine", Name: "阳光花园", ServicePhone: "0755-22223333"}
				got, err = s.Render(in)
				if err != nil || got.Variant != VariantElderly || got.Fallback != "" {
					t.Fatalf("%s/%s/%s with the estate's phone: variant %q fallback %q err %v", kind, loc, ch, got.Variant, got.Fallback, err)
				}
				if !strings.Contains(got.Text, "0755-22223333") {
					t.Errorf("%s/%s/%s: elderly message without the estate's phone:\n%s", kind, loc, ch, got.Text)
				}
			}
		}
	}
}

// TestVariantFallbackKeepsTheKindsNeeds: what the kind itself needs (a
// maintenance notice's time window) still fails the job, naming it, even
// when the variant asked for lacks something else too.
func TestVariantFallbackKeepsTheKindsNeeds(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	smp := sample(t, s, "maintenance_notice.elderly", "zh-CN")
	delete(smp.Data, "contact")
	delete(smp.Data, "start")
	_, err := s.Render(Input{Kind: outreach.KindMaintenanceNotice, Variant: VariantElderly, Locale: "zh-CN",
		Channel: outreach.ChannelSMS, Resident: smp.Resident, Data: smp.Data})
	var mv *MissingVariableError
	if !errors.As(err, &mv) || mv.Variable != "start" {
		t.Fatalf("without contact and start: %v, want a missing variable \"start\"", err)
	}
}

// TestElderlyHTMLIsLargeType holds every elderly HTML to 20px type or more.
func TestElderlyHTMLIsLargeType(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	size := regexp.MustCompile(`font-size:\s*(\d+)px`)
	for kind, variants := range builtinVariants {
		if !slices.Contains(variants, VariantElderly) {
			continue
		}
		for _, loc := range []string{"zh-CN", "en"} {
			smp := sample(t, s, string(kind)+"."+VariantElderly, loc)
			r, err := s.Render(Input{Kind: kind, Variant: VariantElderly, Locale: loc, Channel: outreach.ChannelEmail, Resident: smp.Resident, Data: smp.Data})
			if err != nil {
				t.Fatalf("%s/%s: Render: %v", kind, loc, err)
			}
			sizes := size.FindAllStringSubmatch(r.HTML, -1)
			if len(sizes) == 0 {
				t.Errorf("%s/%s: HTML sets no font size", kind, loc)
			}
			for _, m := range sizes {
				if n, _ := strconv.Atoi(m[1]); n < 20 {
					t.Errorf("%s/%s: font-size %dpx, want 20px or more", kind, loc, n)
				}
			}
		}
	}
}

// TestSameNoticeDiffersByVariant is the preview the issue asks for: one
// job's data, rendered for an elderly, a new and a regular resident, gives
// three different messages, each recorded with its variant.
func TestSameNoticeDiffersByVariant(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	data := map[string]any{"title": "计划停水", "area": "1号楼", "start": "2026-12-02T09:00:00+08:00",
		"end": "2026-12-02T12:00:00+08:00", "contact": "0755-88888888"}
	residents := map[string]outreach.Resident{
		DefaultVariant:     {ID: "r1002", Name: "李明", Locale: "zh-CN"},
		VariantElderly:     {ID: "r1001", Name: "王秀英", Locale: "zh-CN", Tags: []string{"elderly"}},
		VariantNewResident: {ID: "r1006", Name: "赵磊", Locale: "zh-CN", Tags: []string{"new_resident"}},
	}
	for _, ch := range outreach.AllChannels {
		seen := map[string]string{}
		for want, r := range residents {
			out, err := s.Render(Input{Kind: outreach.KindMaintenanceNotice, Variant: VariantFor(r), Locale: r.Locale,
				Channel: ch, Resident: r, Data: data})
			if err != nil {
				t.Fatalf("%s/%s: Render: %v", want, ch, err)
			}
			if out.Variant != want {
				t.Errorf("%s/%s: variant %q", want, ch, out.Variant)
			}
			body := strings.ReplaceAll(out.Text, r.Name, "")
			for other, text := range seen {
				if text == body {
					t.Errorf("%s: %s and %s read the same:\n%s", ch, want, other, body)
				}
			}
			seen[want] = body
		}
	}
}
