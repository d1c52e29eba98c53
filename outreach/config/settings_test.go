package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/policy"
)

// TestDocsTableIsGenerated fails when docs/configuration.md's table is not
// what the tags say: run `go generate ./outreach/config`.
func TestDocsTableIsGenerated(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceGenerated(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != want {
		t.Errorf("docs/configuration.md is out of date with the tags in outreach/config: run go generate ./outreach/config")
	}
	if !strings.Contains(string(doc), "`OUTREACH_WORKERS` | `64` |") {
		t.Errorf("docs/configuration.md does not give OUTREACH_WORKERS's default 64")
	}
}

// TestEverySettingIsDeclared checks the tags themselves: a group among
// Groups, a meaning, one field per variable and per Go field name (parse
// errors name the field).
func TestEverySettingIsDeclared(t *testing.T) {
	t.Parallel()
	names, fields := map[string]bool{}, map[string]bool{}
	for _, v := range Vars {
		if !slices.Contains(Groups, v.Group) {
			t.Errorf("%s: group %q is not one of Groups", v.Name, v.Group)
		}
		if v.Meaning == "" {
			t.Errorf("%s: no help", v.Name)
		}
		if names[v.Name] || fields[v.field] {
			t.Errorf("%s (field %s) is declared twice", v.Name, v.field)
		}
		names[v.Name], fields[v.field] = true, true
	}
	if len(Vars) < 45 {
		t.Errorf("only %d variables found in the tags", len(Vars))
	}
	for _, g := range Groups {
		if GroupDoc[g] == "" {
			t.Errorf("group %s has no GroupDoc", g)
		}
	}
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policy.QuietHours.String(); got != policy.DefaultQuietHours {
		t.Errorf("OUTREACH_QUIET_HOURS default %q, policy.DefaultQuietHours %q", got, policy.DefaultQuietHours)
	}
}

// TestLoadGroupsChecksOnlyThem: a command that loads the store group is
// not stopped by the email settings, which it does not read; the same
// environment stops a full Load.
func TestLoadGroupsChecksOnlyThem(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{
		"OUTREACH_SMTP_URL":     "smtp://h:25", // without OUTREACH_EMAIL_FROM
		"OUTREACH_WORKERS":      "many",
		"OUTREACH_DATABASE_URL": "sqlite:///tmp/x.db",
	})
	if _, err := Load(e); err == nil || !strings.Contains(err.Error(), "OUTREACH_EMAIL_FROM") || !strings.Contains(err.Error(), "OUTREACH_WORKERS") {
		t.Errorf("full Load = %v, want errors naming OUTREACH_EMAIL_FROM and OUTREACH_WORKERS", err)
	}
	c, err := Load(e, GroupStore)
	if err != nil {
		t.Fatalf("Load(store) = %v, want nil", err)
	}
	if c.DatabaseURL.Reveal() != "sqlite:///tmp/x.db" || c.SMTPURL != "" || c.Workers != 64 {
		t.Errorf("Load(store): database %q, SMTP %q, workers %d; want the database only, the rest at defaults", c.DatabaseURL.Reveal(), c.SMTPURL.Reveal(), c.Workers)
	}
	if _, err := Load(env(map[string]string{"OUTREACH_DATABASE_URL": "sqlite:///x.db", "OUTREACH_PHONE_REGION": "CHN"}), GroupStore, GroupResidents); err == nil || !strings.Contains(err.Error(), "OUTREACH_PHONE_REGION") {
		t.Errorf("Load(store, residents) with a bad region = %v, want an error naming OUTREACH_PHONE_REGION", err)
	}
}

// TestParseErrorReportedOnce: a value that does not parse gives one
// error, not a second from the range check.
func TestParseErrorReportedOnce(t *testing.T) {
	t.Parallel()
	_, err := Load(env(map[string]string{"OUTREACH_WORKERS": "many"}))
	if err == nil || strings.Count(err.Error(), "OUTREACH_WORKERS") != 1 {
		t.Errorf("error %v, want OUTREACH_WORKERS named once", err)
	}
}

func TestVarText(t *testing.T) {
	t.Parallel()
	v := Var{Meaning: "see [Running on Redis Cluster](cluster.md#spreading) and [Logs](operations.md)"}
	if got, want := v.Text(), "see Running on Redis Cluster (docs/cluster.md) and Logs (docs/operations.md)"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}
