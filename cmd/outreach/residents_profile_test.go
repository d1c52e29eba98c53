package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

// profileCLI runs outreach commands against a SQLite file of its own.
type profileCLI struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T, seed ...outreach.Resident) *profileCLI {
	t.Helper()
	c := &profileCLI{t: t, env: map[string]string{
		"OUTREACH_DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "outreach.db"),
		"OUTREACH_PHONE_REGION": "US",
	}}
	st := c.store()
	defer st.Close()
	if _, err := st.UpsertResidents(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *profileCLI) store() outreach.Store {
	c.t.Helper()
	st, err := store.Open(c.t.Context(), c.env["OUTREACH_DATABASE_URL"])
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

func (c *profileCLI) resident(id string) outreach.Resident {
	c.t.Helper()
	st := c.store()
	defer st.Close()
	r, err := st.Resident(c.t.Context(), id)
	if err != nil {
		c.t.Fatalf("Resident(%q): %v", id, err)
	}
	return r
}

// run runs `outreach ARGS...` and returns the exit status and the output.
func (c *profileCLI) run(args ...string) (status int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return c.env[k] }}
	status = runArgs(c.t.Context(), e, args, false)
	return status, out.String(), errOut.String()
}

var cliResidents = []outreach.Resident{
	{ID: "r1", Name: "王秀英", Email: "wang@example.com", Building: "1", Unit: "101", Tags: []string{"elderly"}},
	{ID: "r2", Name: "Emily Carter", Phone: "+14155552671", Building: "2", Locale: "en"},
	{ID: "r3", Name: "李明", Email: "li@example.com", Building: "1", Tags: []string{"elderly", "new_resident"}},
}

func TestResidentsSet(t *testing.T) {
	t.Parallel()
	c := newCLI(t, cliResidents...)
	status, out, errOut := c.run("residents", "set", "r1", "phone=(415) 555-2672", "locale=EN_gb",
		"time_zone=America/Los_Angeles", "tags=elderly;new_resident", "channels=sms;email",
		"opt_out=holiday_greeting", "opt_out=email", "attr.parking=B2-17", "name=Wang Xiuying")
	if status != 0 {
		t.Fatalf("set = %d, stderr %s", status, errOut)
	}
	want := outreach.Resident{
		ID: "r1", Name: "Wang Xiuying", Email: "wang@example.com", Phone: "+14155552672", Locale: "en-GB",
		Building: "1", Unit: "101", TimeZone: "America/Los_Angeles", Tags: []string{"elderly", "new_resident"},
		Channels:       []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
		OptOutChannels: []outreach.Channel{outreach.ChannelEmail},
		OptOutKinds:    []outreach.Kind{outreach.KindHolidayGreeting},
		Attributes:     map[string]string{"parking": "B2-17"},
	}
	got := c.resident("r1")
	got.UpdatedAt = want.UpdatedAt
	if !equalResidents(got, want) {
		t.Errorf("after set:\n%#v\nwant\n%#v", got, want)
	}
	for _, s := range []string{"phone:", "+14155552672", "opted out of:", "email;holiday_greeting", "attr.parking:"} {
		if !strings.Contains(out, s) {
			t.Errorf("set printed\n%s\nwithout %q", out, s)
		}
	}

	// Opting back in, removing an attribute, and --json anywhere.
	status, out, errOut = c.run("residents", "set", "--json", "r1", "opt_in=email", "attr.parking=")
	if status != 0 {
		t.Fatalf("set = %d, stderr %s", status, errOut)
	}
	var printed outreach.Resident
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("set --json printed %q: %v", out, err)
	}
	if printed.OptOutChannels != nil || printed.Attributes != nil || !slices.Equal(printed.OptOutKinds, want.OptOutKinds) {
		t.Errorf("after opt_in and attr removal: %+v", printed)
	}
}

func TestResidentsSetErrors(t *testing.T) {
	t.Parallel()
	c := newCLI(t, cliResidents...)
	tests := []struct {
		args   []string
		status int
		stderr string // a part of the message
	}{
		{[]string{"set", "r1", "phone=12"}, 2, "phone: invalid phone number"},
		{[]string{"set", "r1", "email=not-an-address"}, 2, "email: not a valid email address"},
		{[]string{"set", "r1", "locale=Chinese"}, 2, "locale:"},
		{[]string{"set", "r1", "time_zone=Mars/Base"}, 2, "time_zone: unknown time zone"},
		{[]string{"set", "r1", "channels=sms;fax"}, 2, "channels:"},
		{[]string{"set", "r1", "opt_out=pigeon"}, 2, "opt_out:"},
		{[]string{"set", "r1", "colour=blue"}, 2, "colour: unknown field"},
		{[]string{"set", "r1", "name"}, 2, "want field=value"},
		{[]string{"set", "r1", "email=", "name="}, 2, "name: required"},
		{[]string{"set", "r1"}, 2, "usage"},
		{[]string{"set", "nobody", "name=X"}, 1, `no resident "nobody"`},
		{[]string{"show", "nobody"}, 1, `no resident "nobody"`},
		{[]string{"show"}, 2, "usage"},
		{[]string{"show", "r1", "r2"}, 2, "usage"},
		{[]string{"list", "--bogus"}, 2, "bogus"},
		{[]string{"list", "extra"}, 2, "unexpected argument"},
		{[]string{"list", "--limit", "-1"}, 2, "--limit"},
		{[]string{"frobnicate"}, 2, "unknown subcommand"},
		{[]string{}, 2, "usage"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			status, _, errOut := c.run(append([]string{"residents"}, tt.args...)...)
			if status != tt.status || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("status %d, stderr %q; want %d and %q", status, errOut, tt.status, tt.stderr)
			}
		})
	}
	if got := c.resident("r1"); !equalResidents(got, withTime(cliResidents[0], got)) {
		t.Errorf("failed commands changed r1: %+v", got)
	}
}

func TestResidentsListAndShow(t *testing.T) {
	t.Parallel()
	c := newCLI(t, cliResidents...)
	tests := []struct {
		args []string
		want []string // ids, in order
	}{
		{[]string{"list", "--json"}, []string{"r1", "r2", "r3"}},
		{[]string{"list", "--json", "--building", "1"}, []string{"r1", "r3"}},
		{[]string{"list", "--tag", "elderly", "--json", "--tag", "new_resident"}, []string{"r3"}},
		{[]string{"list", "--json", "--limit", "2"}, []string{"r1", "r2"}},
		{[]string{"list", "--json", "--locale", "fr"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			status, out, errOut := c.run(append([]string{"residents"}, tt.args...)...)
			if status != 0 {
				t.Fatalf("status %d, stderr %s", status, errOut)
			}
			var ids []string
			for line := range strings.Lines(out) {
				var r outreach.Resident
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("listed %q, want %q", ids, tt.want)
			}
		})
	}

	status, out, _ := c.run("residents", "list", "--building", "1")
	if status != 0 || !strings.Contains(out, "王秀英") || !strings.Contains(out, "李明") || strings.Contains(out, "Emily") ||
		!strings.HasPrefix(out, "ID ") {
		t.Errorf("list table = %d\n%s", status, out)
	}
	status, out, _ = c.run("residents", "show", "r2")
	if status != 0 || !strings.Contains(out, "Emily Carter") || !strings.Contains(out, "+14155552671") || !strings.Contains(out, "locale:") {
		t.Errorf("show = %d\n%s", status, out)
	}
	status, out, _ = c.run("residents", "show", "r2", "--json")
	var r outreach.Resident
	if err := json.Unmarshal([]byte(out), &r); status != 0 || err != nil || r.Phone != "+14155552671" {
		t.Errorf("show --json = %d %q: %v", status, out, err)
	}
}

// equalResidents compares residents as stored: no estate is the default one.
func equalResidents(a, b outreach.Resident) bool {
	a.Estate, b.Estate = a.EstateID(), b.EstateID()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func withTime(r, from outreach.Resident) outreach.Resident {
	r.UpdatedAt = from.UpdatedAt
	return r
}
