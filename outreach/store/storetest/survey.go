package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func newSurvey(id, resident string, sent time.Time) outreach.Survey {
	return outreach.Survey{
		ID: id, ResidentID: resident, Estate: "sunny", Building: "3", Unit: "1202",
		JobID: "job-" + id, DeliveryID: "d-" + id, WorkOrder: "WO-" + id, Service: "plumbing",
		Channel: outreach.ChannelSMS, Locale: "zh-CN", SentAt: sent.In(shanghai), ExpiresAt: sent.Add(7 * 24 * time.Hour),
	}
}

func mustOpenSurvey(t *testing.T, s outreach.Store, sv outreach.Survey) outreach.Survey {
	t.Helper()
	got, _, err := s.OpenSurvey(t.Context(), sv)
	if err != nil {
		t.Fatalf("OpenSurvey(%s): %v", sv.ID, err)
	}
	return got
}

// testSurveyRoundTrip: a survey is stored open, in UTC, once: opening it
// again (a redelivered job) returns the stored one and writes no event.
func testSurveyRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	sv := newSurvey("sv1", "r1", base)
	got, created, err := s.OpenSurvey(t.Context(), sv)
	if err != nil || !created {
		t.Fatalf("OpenSurvey = created %v, %v; want created", created, err)
	}
	if got.State != outreach.SurveyOpen || got.WorkOrder != "WO-sv1" || got.Estate != "sunny" || got.Score != 0 {
		t.Errorf("stored survey = %+v", got)
	}
	if d := timeDiff("SentAt", got.SentAt, stored(base)); d != "" {
		t.Error(d)
	}
	again := sv
	again.WorkOrder = "changed"
	got2, created, err := s.OpenSurvey(t.Context(), again)
	if err != nil || created || got2.WorkOrder != "WO-sv1" {
		t.Errorf("second OpenSurvey = %q created %v, %v; want the stored one", got2.WorkOrder, created, err)
	}
	read, err := s.Survey(t.Context(), "sv1")
	if err != nil || read.ID != "sv1" || read.DeliveryID != "d-sv1" {
		t.Errorf("Survey = %+v, %v", read, err)
	}
	if _, err := s.Survey(t.Context(), "nope"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("Survey(unknown): %v, want ErrNotFound", err)
	}
	evs, err := s.SurveyEvents(t.Context(), "sv1")
	if err != nil || len(evs) != 1 || evs[0].Event != outreach.SurveySent {
		t.Errorf("SurveyEvents = %+v, %v; want one sent", evs, err)
	}
	bad := newSurvey("sv2", "", base)
	if _, _, err := s.OpenSurvey(t.Context(), bad); err == nil {
		t.Error("OpenSurvey without a resident: no error")
	}
	bad = newSurvey("sv3", "r1", base)
	bad.Comment = "a\x00b"
	if _, _, err := s.OpenSurvey(t.Context(), bad); err == nil {
		t.Error("OpenSurvey with a NUL in the comment: no error")
	}
}

// testSurveyUpdate: UpdateSurvey changes one survey, appends its events to
// the survey's and the delivery's history, and an error changes nothing.
func testSurveyUpdate(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, outreach.Delivery{ID: "d-sv1", JobID: "job-sv1", ResidentID: "r1", Kind: outreach.KindSatisfactionCallback,
		Channel: outreach.ChannelSMS, Status: outreach.StatusSent, CreatedAt: base, UpdatedAt: base})
	mustOpenSurvey(t, s, newSurvey("sv1", "r1", base))
	mustOpenSurvey(t, s, newSurvey("sv2", "r2", base))
	at := base.Add(time.Hour)
	got, err := s.UpdateSurvey(t.Context(), "sv1", func(sv *outreach.Survey) ([]outreach.SurveyEvent, error) {
		sv.State, sv.Score, sv.Comment, sv.AnsweredVia, sv.AnsweredAt = outreach.SurveyAnswered, 2, "还是漏水", "sms", &at
		due := at.Add(24 * time.Hour)
		sv.CallbackDue = &due
		return []outreach.SurveyEvent{{Event: outreach.SurveyAnswer, At: at, Detail: "score 2"}}, nil
	})
	if err != nil {
		t.Fatalf("UpdateSurvey: %v", err)
	}
	if got.Score != 2 || got.State != outreach.SurveyAnswered || !got.CallbackOpen() || got.AnsweredAt == nil {
		t.Errorf("updated = %+v", got)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateSurvey(t.Context(), "sv1", func(sv *outreach.Survey) ([]outreach.SurveyEvent, error) {
		sv.Score = 5
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateSurvey with fn's error: %v", err)
	}
	if _, err := s.UpdateSurvey(t.Context(), "sv1", func(sv *outreach.Survey) ([]outreach.SurveyEvent, error) {
		sv.Score = 9
		return nil, nil
	}); err == nil {
		t.Error("UpdateSurvey to score 9: no error")
	}
	if _, err := s.UpdateSurvey(t.Context(), "nope", func(*outreach.Survey) ([]outreach.SurveyEvent, error) { return nil, nil }); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("UpdateSurvey(unknown): %v", err)
	}
	read, _ := s.Survey(t.Context(), "sv1")
	if read.Score != 2 || read.Comment != "还是漏水" {
		t.Errorf("after failed updates: %+v", read)
	}
	other, _ := s.Survey(t.Context(), "sv2")
	if other.State != outreach.SurveyOpen || other.Score != 0 {
		t.Errorf("the other survey changed: %+v", other)
	}
	evs, _ := s.SurveyEvents(t.Context(), "sv1")
	if len(evs) != 2 || evs[1].Event != outreach.SurveyAnswer || evs[1].Detail != "score 2" {
		t.Errorf("survey history = %+v", evs)
	}
	devs, err := s.Events(t.Context(), "d-sv1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []outreach.EventKind
	for _, e := range devs {
		kinds = append(kinds, e.Event)
	}
	if len(kinds) != 3 || kinds[1] != "survey_sent" || kinds[2] != "survey_answered" {
		t.Errorf("delivery history = %v, want sent, survey_sent, survey_answered", kinds)
	}
	open2, err := s.Surveys(t.Context(), outreach.SurveyFilter{CallbackOpen: true})
	if err != nil || len(open2) != 1 || open2[0].ID != "sv1" {
		t.Errorf("Surveys(callback open) = %v, %v", open2, err)
	}
}

// testSurveysFilter: filters combine, newest first, limit.
func testSurveysFilter(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	a := newSurvey("a", "r1", base)
	b := newSurvey("b", "r1", base.Add(time.Hour))
	c := newSurvey("c", "r2", base.Add(2*time.Hour))
	c.Estate, c.Building, c.Service = "river", "5", "lift"
	for _, sv := range []outreach.Survey{a, b, c} {
		mustOpenSurvey(t, s, sv)
	}
	ids := func(f outreach.SurveyFilter) []string {
		t.Helper()
		svs, err := s.Surveys(t.Context(), f)
		if err != nil {
			t.Fatalf("Surveys(%+v): %v", f, err)
		}
		var out []string
		for _, sv := range svs {
			out = append(out, sv.ID)
		}
		return out
	}
	for _, tt := range []struct {
		f    outreach.SurveyFilter
		want []string
	}{
		{outreach.SurveyFilter{}, []string{"c", "b", "a"}},
		{outreach.SurveyFilter{ResidentIDs: []string{"r1"}}, []string{"b", "a"}},
		{outreach.SurveyFilter{ResidentIDs: []string{"r1"}, Limit: 1}, []string{"b"}},
		{outreach.SurveyFilter{Estates: []string{"river", "x"}}, []string{"c"}},
		{outreach.SurveyFilter{Building: "3"}, []string{"b", "a"}},
		{outreach.SurveyFilter{Service: "lift"}, []string{"c"}},
		{outreach.SurveyFilter{JobID: "job-a"}, []string{"a"}},
		{outreach.SurveyFilter{SentSince: base.Add(time.Hour), SentUntil: base.Add(2 * time.Hour)}, []string{"b"}},
		{outreach.SurveyFilter{State: outreach.SurveyAnswered}, nil},
	} {
		if got := ids(tt.f); !equalIDs(got, tt.want) {
			t.Errorf("Surveys(%+v) = %v, want %v", tt.f, got, tt.want)
		}
	}
}

// testExpireSurveys: open surveys past their time expire once, even with
// concurrent sweeps; answered ones and those not yet due stay.
func testExpireSurveys(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	for i, id := range []string{"e1", "e2", "e3", "e4"} {
		mustOpenSurvey(t, s, newSurvey(id, "r1", base.Add(time.Duration(i)*time.Hour)))
	}
	if _, err := s.UpdateSurvey(t.Context(), "e2", func(sv *outreach.Survey) ([]outreach.SurveyEvent, error) {
		sv.State, sv.Score = outreach.SurveyAnswered, 5
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	now := base.Add(7*24*time.Hour + 2*time.Hour) // e1, e2, e3 are due
	var (
		mu  sync.Mutex
		got []string
		wg  sync.WaitGroup
	)
	for range 3 {
		wg.Go(func() {
			svs, err := s.ExpireSurveys(waitCtx(t), now, 10)
			if err != nil {
				t.Errorf("ExpireSurveys: %v", err)
			}
			mu.Lock()
			for _, sv := range svs {
				got = append(got, sv.ID)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(got) != 2 {
		t.Errorf("expired %v, want e1 and e3 once each", got)
	}
	for id, want := range map[string]outreach.SurveyState{"e1": outreach.SurveyExpired, "e2": outreach.SurveyAnswered,
		"e3": outreach.SurveyExpired, "e4": outreach.SurveyOpen} {
		if sv, _ := s.Survey(t.Context(), id); sv.State != want {
			t.Errorf("%s is %s, want %s", id, sv.State, want)
		}
	}
	evs, _ := s.SurveyEvents(t.Context(), "e1")
	if len(evs) != 2 || evs[1].Event != outreach.SurveyExpire {
		t.Errorf("e1 history = %+v", evs)
	}
}
