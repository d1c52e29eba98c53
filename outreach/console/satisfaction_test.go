package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestSatisfaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin, csrf := f.sessionFor(t, "admin")
	status, _, body := admin.do("GET", "/console/satisfaction", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /console/satisfaction = %d", status)
	}
	for _, want := range []string{`id="target-line"`, `class="c-below"`, `id="cb-sv-n1"`, `id="cb-sv-s1"`, "师傅迟到了"} {
		if !strings.Contains(body, want) {
			t.Errorf("the satisfaction page lacks %s", want)
		}
	}
	if got := text(body); !strings.Contains(got, "north 0% under 70%") || !strings.Contains(got, "south 100%") {
		t.Errorf("the rates read:\n%s", got)
	}
	if status, _, body := admin.do("GET", "/console/satisfaction?weeks=0&by=week", nil); status != http.StatusBadRequest ||
		!strings.Contains(body, `id="weeks-error"`) || !strings.Contains(body, "Not a valid choice.") {
		t.Errorf("weeks=0&by=week = %d, want 400 with the errors next to the fields", status)
	}

	// An empty note: refused next to the field, nothing changed.
	status, _, body = admin.do("POST", "/console/satisfaction/surveys/sv-n1/callback", url.Values{"csrf": {csrf}, "note": {"  "}}, "Accept-Language", "zh-CN")
	if status != http.StatusBadRequest || !strings.Contains(body, "请填写回访结果或处理情况。") {
		t.Errorf("an empty note = %d, want 400 with the error in Chinese", status)
	}
	if sv, _ := f.store.Survey(t.Context(), "sv-n1"); sv.CalledBackAt != nil {
		t.Error("the empty note closed the call-back")
	}
	// The note closes the task: out of the queue, in the survey's history
	// and the audit log.
	status, loc, _ := admin.do("POST", "/console/satisfaction/surveys/sv-n1/callback", url.Values{"csrf": {csrf}, "note": {"rang back, plumber again Friday"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/satisfaction?done=sv-n1") {
		t.Fatalf("called back = %d %q", status, loc)
	}
	sv, err := f.store.Survey(t.Context(), "sv-n1")
	if err != nil || sv.CalledBackAt == nil || sv.CallbackNote != "rang back, plumber again Friday" {
		t.Errorf("after the call-back the survey is %+v, %v", sv, err)
	}
	_, _, body = admin.do("GET", loc, nil)
	if strings.Contains(body, `id="cb-sv-n1"`) || !strings.Contains(body, `id="called-back"`) {
		t.Error("after the call-back it is still queued, or the page does not say it is done")
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "admin"})
	if len(log) == 0 || log[0].Action != "survey_called_back" || log[0].Target != "sv-n1" {
		t.Errorf("the audit log's newest entry is %+v", log)
	}
	// Twice: the task is done already.
	if status, _, body := admin.do("POST", "/console/satisfaction/surveys/sv-n1/callback", url.Values{"csrf": {csrf}, "note": {"again"}}); status != http.StatusBadRequest || !strings.Contains(body, "already marked") {
		t.Errorf("a second call-back = %d", status)
	}

	// A manager of north: nothing of south, and south's survey is not found.
	north, ncsrf := f.sessionFor(t, "manager-north")
	_, _, body = north.do("GET", "/console/satisfaction?estate=south", nil)
	if strings.Contains(body, "sv-s1") || strings.Contains(body, "South survey comment") || strings.Contains(text(body), "south 100%") {
		t.Error("the manager of north sees south's satisfaction")
	}
	if status, _, _ := north.do("POST", "/console/satisfaction/surveys/sv-s1/callback", url.Values{"csrf": {ncsrf}, "note": {"x"}}); status != http.StatusNotFound {
		t.Errorf("the manager of north calls back south's survey: %d, want 404", status)
	}
	if sv, _ := f.store.Survey(t.Context(), "sv-s1"); sv.CalledBackAt != nil {
		t.Error("south's call-back was closed by the manager of north")
	}
}
