package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

// TestCasesCommand, through the built binary: open a lift case (the
// acknowledgment is queued on Redis), note, assign, acknowledge, start,
// resolve; show prints the whole history with times and participants;
// list and report give the figures; bad input names what is wrong and
// changes nothing.
func TestCasesCommand(t *testing.T) {
	t.Parallel()
	db := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{
		{ID: "r-0301", Name: "张伟", Phone: "+8613800138001", Building: "3", Unit: "1202", Locale: "zh-CN"},
		{ID: "r-0302", Name: "无电话", Building: "3", Unit: "1203"},
	}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "OUTREACH_DATABASE_URL=" + db, "OUTREACH_REDIS_URL=" + testRedisURL(),
		"OUTREACH_STREAM=" + fmt.Sprintf("test-cases-%d:jobs", time.Now().UnixNano()), "TZ=UTC"}
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, env, args...)
		if code != want {
			t.Fatalf("outreach %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	out := run(0, "cases", "open", "--resident", "r-0301", "--category", "lift", "--urgency", "urgent", "--by", "李明", "3号楼电梯停在8楼")
	id := regexp.MustCompile(`C-\d{6}-[A-Z0-9]{5}`).FindString(out)
	if id == "" || !strings.Contains(out, "acknowledge within 15m0s") || !strings.Contains(out, "respond within 2h0m0s") {
		t.Fatalf("open printed %q", out)
	}
	run(0, "cases", "acknowledge", id, "--by", "李明", "维保已出发")
	run(0, "cases", "assign", id, "--by", "李明", "电梯组")
	run(0, "cases", "start", id, "--by", "王师傅")
	run(0, "cases", "note", id, "--by", "王师傅", "已到场，门机皮带断裂")
	if out := run(0, "cases", "resolve", id, "--by", "王师傅", "已更换门机皮带"); !strings.Contains(out, id+": resolved") {
		t.Errorf("resolve printed %q", out)
	}
	show := run(0, "cases", "show", id)
	for _, want := range []string{
		"state:        resolved", "resolution:   已更换门机皮带", "by 李明",
		"李明  opened", "system  message  case_acknowledged: queued to r-0301",
		"李明  state    open -> acknowledged; 维保已出发", "李明  assigned  电梯组",
		"王师傅  note", "已到场，门机皮带断裂", "王师傅  state    in_progress -> resolved", "case_resolved: queued to r-0301",
	} {
		if !strings.Contains(strings.Join(strings.Fields(show), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("cases show lacks %q:\n%s", want, show)
		}
	}
	if !regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+李明\s+opened`).MatchString(show) {
		t.Errorf("cases show has no time and participant per line:\n%s", show)
	}

	// A resident without a channel: tracked, and the history says so.
	out = run(0, "cases", "open", "--resident", "r-0302", "--category", "noise", "--received", "on_site", "楼上装修")
	other := regexp.MustCompile(`C-\d{6}-[A-Z0-9]{5}`).FindString(out)
	if show := run(0, "cases", "show", other); !strings.Contains(show, "no message could go: resident r-0302 has no phone or email") {
		t.Errorf("history of an unreachable resident:\n%s", show)
	}

	list := run(0, "cases", "list", "--state", "resolved")
	if !strings.Contains(list, id) || strings.Contains(list, other) {
		t.Errorf("list --state resolved:\n%s", list)
	}
	rep := run(0, "cases", "report", "--since", "30d", "--json")
	var r struct {
		Rows  []map[string]any `json:"rows"`
		Total map[string]any   `json:"total"`
	}
	if err := json.Unmarshal([]byte(rep), &r); err != nil {
		t.Fatalf("report --json: %v\n%s", err, rep)
	}
	if r.Total["opened"] != 2.0 || r.Total["open"] != 1.0 || r.Total["resolved"] != 1.0 || r.Total["within_limit"] != 1.0 || len(r.Rows) != 2 {
		t.Errorf("report = %s", rep)
	}
	if ack, _ := r.Total["median_acknowledge_seconds"].(float64); ack <= 0 {
		t.Errorf("median time to acknowledge = %v, want > 0", r.Total["median_acknowledge_seconds"])
	}
	text := run(0, "cases", "report")
	if !strings.Contains(text, "WITHIN LIMIT") || !strings.Contains(text, "MEDIAN TO ACK") || !strings.Contains(text, "100.0%") {
		t.Errorf("report:\n%s", text)
	}

	// Bad input: the field named, nothing changed.
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cases", "open", "--resident", "ghost", "--category", "lift", "x"}, 2, "resident_id"},
		{[]string{"cases", "open", "--resident", "r-0301", "--category", "plumbing", "x"}, 2, "category"},
		{[]string{"cases", "open", "--resident", "r-0301", "--category", "lift", strings.Repeat("长", 1500)}, 2, "description"},
		{[]string{"cases", "close", "C-000000-XXXXX"}, 1, "no case"},
		{[]string{"cases", "resolve", id}, 2, `expected "<RESOLUTION>"`},
		{[]string{"cases", "list", "--state", "done"}, 2, "--state"},
	} {
		out, errOut, code := cli(t, env, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("outreach %s: exit %d %q%q, want %d naming %s", strings.Join(tt.args, " ")[:min(60, len(strings.Join(tt.args, " ")))], code, out, errOut, tt.code, tt.want)
		}
	}
	run(0, "cases", "close", id, "duplicate")
	if _, errOut, code := cli(t, env, "cases", "resolve", id, "again"); code != 1 || !strings.Contains(errOut, "closed -> resolved") {
		t.Errorf("resolving a closed case: exit %d %s", code, errOut)
	}
	if list := run(0, "cases", "list"); strings.Count(list, "C-") != 2 {
		t.Errorf("refused commands stored cases:\n%s", list)
	}
}
