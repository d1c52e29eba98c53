package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestEstatesCommand: add, list, show, set and delete estates; bad
// signatures, zones and quiet hours are refused naming the field.
func TestEstatesCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	status, out, errOut := c.run("estates", "add", "--id", "sunshine", "--name", "阳光花园", "--company", "万科物业",
		"--service-phone", "0755-8888-8888", "--sms-signature", "【阳光花园物业】", "--time-zone", "Asia/Shanghai")
	if status != 0 || !strings.Contains(out, "sms_signature:") || !strings.Contains(out, "【阳光花园物业】") {
		t.Fatalf("add = %d\n%s%s", status, out, errOut)
	}
	for _, tt := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"add", "--id", "bad", "--name", "x", "--sms-signature", "阳光花园物业"}, 2, "sms_signature"},
		{[]string{"add", "--id", "bad", "--name", "x", "--sms-signature", "【】"}, 2, "sms_signature"},
		{[]string{"add", "--id", "bad", "--name", "x", "--time-zone", "Mars/Olympus"}, 2, "time_zone"},
		{[]string{"add", "--id", "bad", "--name", "x", "--quiet-hours", "late"}, 2, "quiet_hours"},
		{[]string{"add", "--id", "Bad Id", "--name", "x"}, 2, "estate id"},
		{[]string{"add", "--id", "noname"}, 2, "name"},
		{[]string{"add", "--id", "sunshine", "--name", "again"}, 1, "exists already"},
		{[]string{"set", "sunshine", "sms_signature=[x]"}, 2, "sms_signature"},
		{[]string{"set", "sunshine", "colour=red"}, 2, "field=value"},
		{[]string{"set", "nowhere", "name=x"}, 1, "no estate"},
		{[]string{"show", "nowhere"}, 1, "no estate"},
		{[]string{"delete", "default"}, 1, "default estate stays"},
		{[]string{"frobnicate"}, 2, "unknown subcommand"},
	} {
		status, _, errOut := c.run(append([]string{"estates"}, tt.args...)...)
		if status != tt.status || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("estates %v = %d %q; want %d and %q", tt.args, status, errOut, tt.status, tt.stderr)
		}
	}
	if status, _, _ := c.run("estates", "show", "bad"); status != 1 {
		t.Error("a refused add stored the estate")
	}

	status, out, errOut = c.run("estates", "set", "sunshine", "office_hours=8:00-20:00", "service-phone=0755-1234-5678")
	if status != 0 || !strings.Contains(out, "0755-1234-5678") || !strings.Contains(out, "8:00-20:00") {
		t.Errorf("set = %d\n%s%s", status, out, errOut)
	}
	status, out, _ = c.run("estates", "list")
	if status != 0 || !strings.Contains(out, "default") || !strings.Contains(out, "阳光花园") || !strings.Contains(out, "0755-1234-5678") {
		t.Errorf("list = %d\n%s", status, out)
	}
	status, out, _ = c.run("estates", "show", "sunshine", "--json")
	if status != 0 || !strings.Contains(out, `"sms_signature":"【阳光花园物业】"`) {
		t.Errorf("show --json = %d\n%s", status, out)
	}

	// A resident in the estate keeps it from being deleted.
	st := c.store()
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r1", Name: "张伟", Phone: "+12025550101", Estate: "sunshine"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if status, _, errOut := c.run("estates", "delete", "sunshine"); status != 1 || !strings.Contains(errOut, "residents") {
		t.Errorf("delete with a resident = %d %q", status, errOut)
	}
	if status, _, errOut := c.run("residents", "set", "r1", "estate=nowhere"); status != 2 || !strings.Contains(errOut, "estate") {
		t.Errorf("residents set estate=nowhere = %d %q", status, errOut)
	}
	if status, _, _ := c.run("residents", "set", "r1", "estate=default"); status != 0 {
		t.Error("residents set estate=default failed")
	}
	if status, out, errOut := c.run("estates", "delete", "sunshine"); status != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("delete of an empty estate = %d %s%s", status, out, errOut)
	}
}

// TestImportEstates: the estate column of an import; a row naming an
// unknown estate is reported by line, the others are written; --estate
// is the estate of rows that name none.
func TestImportEstates(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if status, _, errOut := c.run("estates", "add", "--id", "sunshine", "--name", "阳光花园"); status != 0 {
		t.Fatal(errOut)
	}
	file := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(file, []byte("id,name,phone,building,estate\n"+
		"r1,张伟,+12025550101,3,sunshine\n"+
		"r2,李娜,+12025550102,3,harbour\n"+
		"r3,王秀英,+12025550103,3,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := runImport(t, c.env["OUTREACH_DATABASE_URL"], file)
	if run.status == 0 || !strings.Contains(run.stderr+run.stdout, "line 3") || !strings.Contains(run.stderr+run.stdout, `"harbour"`) {
		t.Errorf("import with an unknown estate = %d\n%s%s", run.status, run.stdout, run.stderr)
	}
	if r := c.resident("r1"); r.Estate != "sunshine" {
		t.Errorf("r1 estate %q, want sunshine", r.Estate)
	}
	if r := c.resident("r3"); r.Estate != outreach.DefaultEstateID {
		t.Errorf("r3 (no estate in its row) estate %q, want default", r.Estate)
	}

	noColumn := filepath.Join(t.TempDir(), "more.csv")
	if err := os.WriteFile(noColumn, []byte("id,name,phone\nr4,陈静,+12025550104\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if run := runImport(t, c.env["OUTREACH_DATABASE_URL"], noColumn, "--estate", "sunshine"); run.status != 0 {
		t.Errorf("import --estate sunshine = %d %s", run.status, run.stderr)
	}
	if r := c.resident("r4"); r.Estate != "sunshine" {
		t.Errorf("r4 estate %q, want sunshine (--estate)", r.Estate)
	}
	if run := runImport(t, c.env["OUTREACH_DATABASE_URL"], noColumn, "--estate", "nowhere"); run.status == 0 || !strings.Contains(run.stderr, "--estate") {
		t.Errorf("import --estate nowhere = %d %s", run.status, run.stderr)
	}
}
