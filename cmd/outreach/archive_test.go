package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/store"
)

// archiveFixture is an archive file with a fortnight-old maintenance
// notice to two residents of building 3, and a greeting from last year.
func archiveFixture(t *testing.T) []string {
	t.Helper()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "a.db")
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recent := time.Now().Add(-14 * 24 * time.Hour).Truncate(time.Second)
	ds := []outreach.Delivery{
		{ID: "d1", JobID: "wo-88", ResidentID: "r1", Building: "3", Unit: "1201", Kind: outreach.KindMaintenanceNotice,
			Channel: outreach.ChannelSMS, Body: "王女士您好，3号楼周五停水。", Status: outreach.StatusQueued, ProviderID: "SM1", CreatedAt: recent},
		{ID: "d2", JobID: "wo-88", ResidentID: "r2", Building: "3", Unit: "0801", Kind: outreach.KindMaintenanceNotice,
			Channel: outreach.ChannelEmail, Subject: "停水通知", Body: "李先生您好，3号楼周五停水。", Status: outreach.StatusSent, CreatedAt: recent.Add(time.Second)},
		{ID: "d0", JobID: "greet-2025", ResidentID: "r1", Building: "3", Unit: "1201", Kind: outreach.KindHolidayGreeting,
			Channel: outreach.ChannelEmail, Subject: "新年快乐", Body: "祝您新年快乐", Status: outreach.StatusSent, CreatedAt: recent.Add(-365 * 24 * time.Hour)},
	}
	if err := st.Record(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.UpdateStatus(context.Background(), outreach.StatusUpdate{ProviderID: "SM1", Status: outreach.StatusDelivered}); err != nil {
		t.Fatal(err)
	}
	return []string{"OUTREACH_DATABASE_URL=" + dbURL}
}

func TestArchiveSearchPages(t *testing.T) {
	t.Parallel()
	env := archiveFixture(t)
	out, errOut, code := cli(t, env, "archive", "search", "--building", "3", "--unit", "1201", "--limit", "1", "--json")
	var first outreach.Delivery
	if code != 0 || json.Unmarshal([]byte(out), &first) != nil || first.ID != "d1" || first.Building != "3" || first.Unit != "1201" {
		t.Fatalf("first page = %d %q %q, want d1 in 3/1201", code, out, errOut)
	}
	next, ok := strings.CutPrefix(strings.TrimSpace(errOut), "next: ")
	if !ok {
		t.Fatalf("first page's stderr = %q, want a next: cursor", errOut)
	}
	out, errOut, code = cli(t, env, "archive", "search", "--building", "3", "--unit", "1201", "--limit", "1", "--json", "--after", next)
	var second outreach.Delivery
	if code != 0 || json.Unmarshal([]byte(out), &second) != nil || second.ID != "d0" {
		t.Errorf("second page = %d %q %q, want d0", code, out, errOut)
	}
	if _, errOut, code := cli(t, env, "archive", "search", "--after", "garbage!"); code == 0 || !strings.Contains(errOut, "--after") {
		t.Errorf("a bad cursor: exit %d, %q", code, errOut)
	}
	out, _, code = cli(t, env, "archive", "search", "--since", "30d")
	if code != 0 || !strings.Contains(out, "3/0801") || strings.Contains(out, "greet-2025") {
		t.Errorf("search --since 30d = %d %q, want the notice alone, with building/unit", code, out)
	}
}

func TestArchiveNoteAndShow(t *testing.T) {
	t.Parallel()
	env := archiveFixture(t)
	out, errOut, code := cli(t, env, "archive", "note", "wo-88", "called back, resolved", "--resident", "r1")
	if code != 0 || !strings.Contains(out, "noted 1 deliveries") {
		t.Fatalf("archive note = %d %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, env, "archive", "note", "no-such-job", "x"); code == 0 || !strings.Contains(errOut, "no-such-job") {
		t.Errorf("note on an unknown job: exit %d, %q", code, errOut)
	}
	out, errOut, code = cli(t, env, "archive", "show", "wo-88", "--json")
	if code != 0 {
		t.Fatalf("archive show = %d %q", code, errOut)
	}
	var ds []outreach.Delivery
	for line := range strings.Lines(out) {
		var d outreach.Delivery
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ds = append(ds, d)
	}
	if len(ds) != 2 || ds[0].ID != "d1" || ds[0].Note != "called back, resolved" {
		t.Fatalf("archive show --json = %+v, want d1 (noted) and d2", ds)
	}
	var events []outreach.EventKind
	for _, ev := range ds[0].Events {
		events = append(events, ev.Event)
	}
	if want := []outreach.EventKind{outreach.EventQueued, outreach.EventDelivered, outreach.EventNoted}; !slices.Equal(events, want) {
		t.Errorf("d1's events = %v, want %v", events, want)
	}
	out, _, code = cli(t, env, "archive", "history", "wo-88", "--delivery", "d1")
	if code != 0 || !strings.Contains(out, "follow-up: called back, resolved") || !strings.Contains(out, "delivered") ||
		!strings.Contains(out, "provider id: SM1") || strings.Contains(out, "delivery d2") {
		t.Errorf("archive history --delivery d1 = %d\n%s", code, out)
	}
	out, _, _ = cli(t, env, "archive", "search", "--job", "wo-88", "--json")
	if !strings.Contains(out, `"note":"called back, resolved"`) || !strings.Contains(out, `"building":"3"`) {
		t.Errorf("search --json lacks the note or building: %s", out)
	}
}

// TestArchiveExportOpensInASpreadsheet: the done-when, from the
// command line: the CSV reads back with Chinese text intact, and has the
// BOM exactly when asked.
func TestArchiveExportOpensInASpreadsheet(t *testing.T) {
	t.Parallel()
	env := archiveFixture(t)
	file := filepath.Join(t.TempDir(), "archive.csv")
	_, errOut, code := cli(t, env, "archive", "export", "--since", "30d", "--bom", "-o", file)
	if code != 0 || !strings.Contains(errOut, "exported 2 deliveries") {
		t.Fatalf("archive export = %d %q", code, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Error("--bom: the file does not start with the UTF-8 BOM")
	}
	records, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil || len(records) != 3 || !slices.Equal(records[0], archive.Columns) {
		t.Fatalf("read back: %d records (%v)", len(records), err)
	}
	body := slices.Index(archive.Columns, "body")
	if records[1][body] != "王女士您好，3号楼周五停水。" || records[2][body] != "李先生您好，3号楼周五停水。" {
		t.Errorf("bodies = %q, %q", records[1][body], records[2][body])
	}
	out, _, code := cli(t, env, "archive", "export", "--until", "30d")
	if code != 0 || strings.HasPrefix(out, "\uFEFF") || !strings.Contains(out, "新年快乐") || strings.Contains(out, "停水") {
		t.Errorf("export --until 30d to stdout = %d %q, want last year's greeting alone, no BOM", code, out)
	}
	out, _, code = cli(t, env, "archive", "export", "--format", "jsonl", "--resident", "r2")
	var d outreach.Delivery
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.ID != "d2" || d.Subject != "停水通知" {
		t.Errorf("export --format jsonl = %d %q", code, out)
	}
	if _, errOut, code := cli(t, env, "archive", "export", "--format", "xlsx"); code == 0 || !strings.Contains(errOut, "--format") {
		t.Errorf("export --format xlsx: exit %d, %q", code, errOut)
	}
}

func TestArchivePurge(t *testing.T) {
	t.Parallel()
	env := archiveFixture(t)
	out, errOut, code := cli(t, env, "archive", "purge", "--older-than", "180d")
	if code != 0 || !strings.Contains(out, "purged the content of 1 deliveries") {
		t.Fatalf("archive purge = %d %q %q", code, out, errOut)
	}
	out, _, _ = cli(t, env, "archive", "show", "greet-2025", "--json")
	var d outreach.Delivery
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Body != "" || d.ContentPurgedAt == nil || d.Status != outreach.StatusSent {
		t.Errorf("after the purge greet-2025 = %+v (%v), want it without content, metadata kept", d, err)
	}
	for _, bad := range [][]string{{}, {"--older-than", "soon"}, {"--older-than", "0"}} {
		if _, _, code := cli(t, env, append([]string{"archive", "purge"}, bad...)...); code != 2 {
			t.Errorf("archive purge %q: exit %d, want 2", bad, code)
		}
	}
}

func TestArchiveBackupRestore(t *testing.T) {
	t.Parallel()
	c := newCLI(t, outreach.Resident{ID: "r1", Name: "王秀英", Phone: "+12025550101"})
	backup := filepath.Join(t.TempDir(), "backup.db")
	if status, out, errOut := c.run("archive", "backup", backup); status != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup = %d %s%s", status, out, errOut)
	}
	if status, _, errOut := c.run("archive", "backup", backup); status != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("backup over a file = %d %q", status, errOut)
	}
	if status, _, errOut := c.run("archive", "restore", backup); status != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("restore over the live database without --force = %d %q", status, errOut)
	}
	if status, out, errOut := c.run("archive", "restore", backup, "--force"); status != 0 || !strings.Contains(out, "restored") {
		t.Errorf("restore --force = %d %s%s", status, out, errOut)
	}
	if r := c.resident("r1"); r.Name != "王秀英" {
		t.Errorf("after restore r1 = %+v", r)
	}
	if status, _, _ := c.run("archive", "backup"); status != 2 {
		t.Error("backup without FILE is not a usage error")
	}
}
