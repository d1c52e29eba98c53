package resident

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestCheckNormalizes(t *testing.T) {
	t.Parallel()
	in := outreach.Resident{
		ID: "r1", Name: " 王秀英 ", Email: " wang@example.com ", Phone: "138 0013 8000", Locale: "zh_cn",
		Building: " 3 ", Unit: "1201", TimeZone: " Asia/Shanghai ",
		Tags:           []string{" elderly", "", "elderly", "new_resident"},
		Channels:       []outreach.Channel{"SMS", "email", "sms"},
		OptOutChannels: []outreach.Channel{"sms", "email", "Email"},
		OptOutKinds:    []outreach.Kind{"maintenance_notice", "holiday_greeting"},
		Attributes:     map[string]string{" floor ": "12", "note": "line one\nline two"},
	}
	want := outreach.Resident{
		ID: "r1", Name: "王秀英", Email: "wang@example.com", Phone: "+8613800138000", Locale: "zh-CN",
		Building: "3", Unit: "1201", TimeZone: "Asia/Shanghai",
		Tags:           []string{"elderly", "new_resident"},
		Channels:       []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
		OptOutChannels: []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS},
		OptOutKinds:    []outreach.Kind{outreach.KindHolidayGreeting, outreach.KindMaintenanceNotice},
		Attributes:     map[string]string{"floor": "12", "note": "line one\nline two"},
	}
	got, err := Check(in, "CN")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check =\n%#v\nwant\n%#v", got, want)
	}
	if again, err := Check(got, ""); err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("Check of a checked profile = %#v, %v; want it unchanged", again, err)
	}
}

func TestCheckRejects(t *testing.T) {
	t.Parallel()
	ok := outreach.Resident{ID: "r1", Name: "Ann", Email: "ann@example.com"}
	tests := []struct {
		name   string
		edit   func(r *outreach.Resident)
		region string
		fields []string // the fields named, in order
	}{
		{"no id", func(r *outreach.Resident) { r.ID = "" }, "CN", []string{"id"}},
		{"id with a space around", func(r *outreach.Resident) { r.ID = " r1" }, "CN", []string{"id"}},
		{"id with a newline", func(r *outreach.Resident) { r.ID = "r\n1" }, "CN", []string{"id"}},
		{"id too long", func(r *outreach.Resident) { r.ID = strings.Repeat("x", MaxIDLength+1) }, "CN", []string{"id"}},
		{"no name", func(r *outreach.Resident) { r.Name = "  " }, "CN", []string{"name"}},
		{"no contact", func(r *outreach.Resident) { r.Email = "" }, "CN", []string{"email/phone"}},
		{"bad email", func(r *outreach.Resident) { r.Email = "Ann <ann@example.com>" }, "CN", []string{"email"}},
		{"bad phone", func(r *outreach.Resident) { r.Phone = "12345" }, "CN", []string{"phone"}},
		{"local phone without a region", func(r *outreach.Resident) { r.Phone = "138 0013 8000" }, "", []string{"phone"}},
		{"bad locale", func(r *outreach.Resident) { r.Locale = "Chinese" }, "CN", []string{"locale"}},
		{"unknown time zone", func(r *outreach.Resident) { r.TimeZone = "Mars/Olympus" }, "CN", []string{"time_zone"}},
		{"Local is no zone", func(r *outreach.Resident) { r.TimeZone = "Local" }, "CN", []string{"time_zone"}},
		{"path as a zone", func(r *outreach.Resident) { r.TimeZone = "../../etc/passwd" }, "CN", []string{"time_zone"}},
		{"unknown channel", func(r *outreach.Resident) { r.Channels = []outreach.Channel{"fax"} }, "CN", []string{"channels"}},
		{"unknown opt-out channel", func(r *outreach.Resident) { r.OptOutChannels = []outreach.Channel{"pigeon"} }, "CN", []string{"opt_out_channels"}},
		{"unknown opt-out kind", func(r *outreach.Resident) { r.OptOutKinds = []outreach.Kind{"tea_party"} }, "CN", []string{"opt_out_kinds"}},
		{"NUL in a name", func(r *outreach.Resident) { r.Name = "A\x00nn" }, "CN", []string{"name"}},
		{"invalid UTF-8 building", func(r *outreach.Resident) { r.Building = "\xff" }, "CN", []string{"building"}},
		{"control character in a tag", func(r *outreach.Resident) { r.Tags = []string{"a\tb"} }, "CN", []string{"tags"}},
		{"empty attribute name", func(r *outreach.Resident) { r.Attributes = map[string]string{" ": "x"} }, "CN", []string{"attributes"}},
		{"NUL in an attribute", func(r *outreach.Resident) { r.Attributes = map[string]string{"k": "\x00"} }, "CN", []string{"attributes.k"}},
		{"several problems", func(r *outreach.Resident) { r.Name, r.Email, r.TimeZone = "", "x", "Nowhere" }, "CN", []string{"name", "email", "time_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			tt.edit(&r)
			_, err := Check(r, tt.region)
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("Check error = %v, want a *ProfileError", err)
			}
			var fields []string
			for _, p := range pe.Problems {
				fields = append(fields, p.Field)
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("problems name %q, want %q (%v)", fields, tt.fields, err)
			}
			var fe FieldError
			if !errors.As(err, &fe) || fe.Field != tt.fields[0] {
				t.Errorf("errors.As finds %+v, want the first problem", fe)
			}
		})
	}
}

// TestCheckKeepsContactsOutOfErrors: errors end up in HTTP responses and
// logs, so they must not repeat an email address or a phone number.
func TestCheckKeepsContactsOutOfErrors(t *testing.T) {
	t.Parallel()
	r := outreach.Resident{ID: "r1", Name: "Ann", Email: "ann@@secret.example", Phone: "+86 138 0013 80009999"}
	_, err := Check(r, "CN")
	if err == nil {
		t.Fatal("Check accepted a bad email and phone")
	}
	for _, secret := range []string{"secret.example", "0013", "138"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
}

func TestPatchApply(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	r := outreach.Resident{
		ID: "r1", Name: "Ann", Email: "ann@example.com", Building: "1", Tags: []string{"vip"},
		OptOutChannels: []outreach.Channel{outreach.ChannelSMS},
		Attributes:     map[string]string{"keep": "1", "drop": "2"},
	}
	orig := r
	orig.Attributes = map[string]string{"keep": "1", "drop": "2"}
	p := Patch{
		Name: str("Anna"), Email: str(""), Phone: str("+8613800138000"),
		Tags:       &[]string{"elderly"},
		Attributes: map[string]*string{"drop": nil, "new": str("3")},
	}
	if err := p.Set("opt_out=holiday_greeting"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("opt_in=sms"); err != nil {
		t.Fatal(err)
	}
	got := p.Apply(r)
	want := outreach.Resident{
		ID: "r1", Name: "Anna", Phone: "+8613800138000", Building: "1", Tags: []string{"elderly"},
		OptOutChannels: []outreach.Channel{},
		OptOutKinds:    []outreach.Kind{outreach.KindHolidayGreeting},
		Attributes:     map[string]string{"keep": "1", "new": "3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Apply =\n%#v\nwant\n%#v", got, want)
	}
	if !reflect.DeepEqual(r, orig) {
		t.Errorf("Apply changed its argument: %#v", r)
	}
	if !(Patch{}).Empty() || p.Empty() {
		t.Error("Empty misreports")
	}
}

func TestPatchSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		assignment string
		want       outreach.Resident // applied to base
		errField   string            // "" when Set succeeds
	}{
		{"name=李娜", outreach.Resident{Name: "李娜"}, ""},
		{"NAME=x=y", outreach.Resident{Name: "x=y"}, ""},
		{"email=a@example.com", outreach.Resident{Email: "a@example.com"}, ""},
		{"phone=138 0013 8000", outreach.Resident{Phone: "138 0013 8000"}, ""},
		{"locale=en", outreach.Resident{Locale: "en"}, ""},
		{"building=3", outreach.Resident{Building: "3"}, ""},
		{"unit=1201", outreach.Resident{Unit: "1201"}, ""},
		{"time_zone=Asia/Tokyo", outreach.Resident{TimeZone: "Asia/Tokyo"}, ""},
		{"tags=elderly; new_resident;;elderly", outreach.Resident{Tags: []string{"elderly", "new_resident"}}, ""},
		{"tags=", outreach.Resident{}, ""},
		{"channels=sms;email", outreach.Resident{Channels: []outreach.Channel{"sms", "email"}}, ""},
		{"opt_out=SMS", outreach.Resident{OptOutChannels: []outreach.Channel{"sms"}}, ""},
		{"opt_out=follow_up", outreach.Resident{OptOutKinds: []outreach.Kind{"follow_up"}}, ""},
		{"attr.Floor=12", outreach.Resident{Attributes: map[string]string{"Floor": "12"}}, ""},
		{"opt_out=fax", outreach.Resident{}, "opt_out"},
		{"opt_in=", outreach.Resident{}, "opt_in"},
		{"colour=blue", outreach.Resident{}, "colour"},
		{"attr.=x", outreach.Resident{}, "attr."},
		{"name", outreach.Resident{}, "name"},
		{"=x", outreach.Resident{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.assignment, func(t *testing.T) {
			t.Parallel()
			var p Patch
			err := p.Set(tt.assignment)
			if tt.errField != "" || strings.HasPrefix(tt.assignment, "=") {
				var fe FieldError
				if !errors.As(err, &fe) || fe.Field != tt.errField {
					t.Fatalf("Set error = %v, want a FieldError naming %q", err, tt.errField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			got := p.Apply(outreach.Resident{})
			if !reflect.DeepEqual(normalizeEmpty(got), normalizeEmpty(tt.want)) {
				t.Errorf("Apply(Set(%q)) = %#v, want %#v", tt.assignment, got, tt.want)
			}
		})
	}
}

// normalizeEmpty makes empty lists nil, for comparisons.
func normalizeEmpty(r outreach.Resident) outreach.Resident {
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if len(r.Channels) == 0 {
		r.Channels = nil
	}
	if len(r.OptOutChannels) == 0 {
		r.OptOutChannels = nil
	}
	if len(r.OptOutKinds) == 0 {
		r.OptOutKinds = nil
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	return r
}

// FuzzSetCheck feeds arbitrary assignments through Set, Apply and Check:
// nothing panics, and a profile Check accepts is a fixed point of Check
// (what is stored checks the same when it is read and edited again).
func FuzzSetCheck(f *testing.F) {
	f.Add("phone=138 0013 8000", "tags=a;b;a", "time_zone=Asia/Shanghai")
	f.Add("email=a@example.com", "opt_out=sms", "attr.x=\x00")
	f.Add("locale=ZH_hant_tw", "channels=SMS;email;fax", "name=\u202e")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var p Patch
		for _, s := range []string{a, b, c} {
			if err := p.Set(s); err != nil {
				var fe FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("Set(%q) error %v is not a FieldError", s, err)
				}
			}
		}
		r := p.Apply(outreach.Resident{ID: "r1", Name: "Ann", Email: "ann@example.com"})
		got, err := Check(r, "CN")
		if err != nil {
			var pe *ProfileError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("Check error %v is not a ProfileError with problems", err)
			}
			return
		}
		again, err := Check(got, "")
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("Check is not idempotent:\n%#v\n%#v, %v", got, again, err)
		}
	})
}
