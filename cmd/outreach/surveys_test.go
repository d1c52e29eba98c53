package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// seedSurveys stores answered surveys in building 1 (5 5 4 2, and one not
// answered: 75% satisfied) and building 2 (5 3 2 1: 25%, under 70%); the
// 2 in building 1 has a call-back task open.
func seedSurveys(t *testing.T, c *profileCLI) {
	t.Helper()
	st := c.store()
	defer st.Close()
	ctx := t.Context()
	now := time.Now().UTC()
	for i, s := range []struct {
		building string
		score    int
	}{{"1", 5}, {"1", 5}, {"1", 4}, {"1", 2}, {"1", 0}, {"2", 5}, {"2", 3}, {"2", 2}, {"2", 1}} {
		id := fmt.Sprintf("d%d", i)
		rid := fmt.Sprintf("r%d", i)
		if _, err := st.UpsertResidents(ctx, []outreach.Resident{{ID: rid, Name: "住户", Phone: fmt.Sprintf("+1202555%04d", i), Building: s.building}}); err != nil {
			t.Fatal(err)
		}
		sent := now.Add(-time.Duration(i+1) * time.Hour)
		if err := st.Record(ctx, []outreach.Delivery{{ID: id, JobID: "j" + id, ResidentID: rid, Kind: outreach.KindSatisfactionCallback,
			Channel: outreach.ChannelSMS, Status: outreach.StatusSent, Building: s.building, CreatedAt: sent, SentAt: &sent}}); err != nil {
			t.Fatal(err)
		}
		sv := outreach.Survey{ID: outreach.SurveyID(id), ResidentID: rid, Estate: outreach.DefaultEstateID, Building: s.building,
			JobID: "j" + id, DeliveryID: id, WorkOrder: "WO-" + id, Service: "sink repair", Channel: outreach.ChannelSMS,
			State: outreach.SurveyOpen, SentAt: sent, ExpiresAt: sent.Add(7 * 24 * time.Hour)}
		if _, _, err := st.OpenSurvey(ctx, sv); err != nil {
			t.Fatal(err)
		}
		if s.score == 0 {
			continue
		}
		if _, err := st.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
			cur.State, cur.Score, cur.AnsweredAt = outreach.SurveyAnswered, s.score, &now
			if i == 3 {
				due := now.Add(24 * time.Hour)
				cur.EscalatedAt, cur.CallbackDue, cur.Comment = &now, &due, "还是漏水"
			}
			return []outreach.SurveyEvent{{Event: outreach.SurveyAnswer, At: now, Detail: fmt.Sprintf("score %d", s.score)}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSatisfactionReport: the report per building shows responses,
// response rate, average, distribution and the satisfied rate, and flags
// the building under 70%; --json and --csv say the same.
func TestSatisfactionReport(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	seedSurveys(t, c)
	status, out, errOut := c.run("satisfaction", "report", "--by", "building", "--since", "30d")
	if status != 0 {
		t.Fatalf("report = %d %s", status, errOut)
	}
	rows := map[string]string{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && (f[0] == "default" || f[0] == "total") {
			rows[f[0]+" "+f[1]] = line
		}
	}
	// ESTATE BUILDING SENT RESPONSES RATE AVERAGE 1 2 3 4 5 SATISFIED flag
	b1 := regexp.MustCompile(`^default\s+1\s+5\s+4\s+80\.0%\s+4\.00\s+0\s+1\s+0\s+1\s+2\s+75\.0%\s*$`)
	b2 := regexp.MustCompile(`^default\s+2\s+4\s+4\s+100\.0%\s+2\.75\s+1\s+1\s+1\s+0\s+1\s+25\.0%\s+under 70%$`)
	if !b1.MatchString(rows["default 1"]) || !b2.MatchString(rows["default 2"]) {
		t.Errorf("report by building:\n%s", out)
	}
	status, out, _ = c.run("satisfaction", "report", "--by", "building", "--json")
	var rep survey.Report
	if err := json.Unmarshal([]byte(out), &rep); status != 0 || err != nil || len(rep.Rows) != 2 {
		t.Fatalf("report --json = %d %v\n%s", status, err, out)
	}
	if r := rep.Rows[1]; r.Building != "2" || r.SatisfiedRate != 0.25 || !r.BelowTarget || r.Distribution != [5]int{1, 1, 1, 0, 1} {
		t.Errorf("building 2 = %+v", r)
	}
	if r := rep.Rows[0]; r.SatisfiedRate != 0.75 || r.BelowTarget || r.ResponseRate != 0.8 {
		t.Errorf("building 1 = %+v", r)
	}
	if rep.Total.Responses != 8 || rep.Total.SatisfiedRate != 0.5 || !rep.Total.BelowTarget {
		t.Errorf("total = %+v", rep.Total)
	}
	status, out, _ = c.run("satisfaction", "report", "--by", "building", "--csv")
	if status != 0 || !strings.Contains(out, "estate,building,sent,responses,response_rate,average,score_1") ||
		!strings.Contains(out, "default,2,4,4,1.0000,2.75,1,1,1,0,1,0.2500,true") {
		t.Errorf("report --csv = %d\n%s", status, out)
	}
	if status, _, errOut := c.run("satisfaction", "report", "--by", "floor"); status != 2 || !strings.Contains(errOut, "--by") {
		t.Errorf("--by floor = %d %s", status, errOut)
	}
}

// TestSurveysCommand: list, show and note (which closes the call-back).
func TestSurveysCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	seedSurveys(t, c)
	id := outreach.SurveyID("d3")
	status, out, _ := c.run("surveys", "list", "--callback-open")
	if status != 0 || !strings.Contains(out, id) || strings.Count(out, "\n") != 2 || !strings.Contains(out, "WO-d3") {
		t.Errorf("list --callback-open = %d\n%s", status, out)
	}
	status, out, _ = c.run("surveys", "show", id)
	if status != 0 || !strings.Contains(out, "还是漏水") || !strings.Contains(out, "due ") {
		t.Errorf("show = %d\n%s", status, out)
	}
	if status, out, errOut := c.run("surveys", "note", id, "已回电，明天复修"); status != 0 || !strings.Contains(out, "done") {
		t.Fatalf("note = %d %s %s", status, out, errOut)
	}
	if status, _, errOut := c.run("surveys", "note", id, "again"); status != 1 || !strings.Contains(errOut, "no open call-back") {
		t.Errorf("second note = %d %s", status, errOut)
	}
	if status, _, errOut := c.run("surveys", "note", "sv_nowhere", "x"); status != 1 || !strings.Contains(errOut, "no survey") {
		t.Errorf("note of an unknown survey = %d %s", status, errOut)
	}
	status, out, _ = c.run("surveys", "show", id, "--json")
	if status != 0 || !strings.Contains(out, `"callback_note":"已回电，明天复修"`) || !strings.Contains(out, `"event":"called_back"`) {
		t.Errorf("show --json after the note = %d\n%s", status, out)
	}
	if status, out, _ := c.run("surveys", "list", "--callback-open"); status != 0 || strings.Contains(out, id) {
		t.Errorf("list --callback-open after the note = %d\n%s", status, out)
	}
}
