package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// history is a delivery's events, as "event@offset-from-base detail".
func history(t *testing.T, s outreach.Store, id string) []string {
	t.Helper()
	es, err := s.Events(t.Context(), id)
	if err != nil {
		t.Fatalf("Events(%s): %v", id, err)
	}
	var out []string
	for i, e := range es {
		if e.DeliveryID != id || e.At.Location() != time.UTC || (i > 0 && e.Seq <= es[i-1].Seq) {
			t.Errorf("event %d of %s = %+v: wrong delivery, zone or order", i, id, e)
		}
		line := fmt.Sprintf("%s@%s", e.Event, e.At.Sub(base))
		if e.Detail != "" {
			line += " " + e.Detail
		}
		out = append(out, line)
	}
	return out
}

func checkHistory(t *testing.T, s outreach.Store, id string, want ...string) {
	t.Helper()
	if got := history(t, s, id); !slices.Equal(got, want) {
		t.Errorf("history of %s:\n got  %q\n want %q", id, got, want)
	}
}

// testHistoryOfRecord: a new delivery and every status change append an
// event, with the delivery's error, provider id and policy reason; a
// Record that leaves the status alone appends none.
func testHistoryOfRecord(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	d := delivery("d1", "j1", "r1")
	d.Status, d.ProviderID, d.SentAt, d.UpdatedAt = outreach.StatusDeferred, "", nil, base
	d.Policy, d.Error = outreach.PolicyQuietHours, "deferred until 08:00"
	other := delivery("d2", "j1", "r2")
	mustRecord(t, s, d, other) // one batch, two new deliveries
	checkHistory(t, s, "d1", "deferred@0s error: deferred until 08:00; policy: quiet_hours")
	checkHistory(t, s, "d2", "sent@1s provider id: <d2@outreach>")

	d.UpdatedAt = base.Add(time.Minute) // the same status again: no event
	mustRecord(t, s, d)
	d.Status, d.Error, d.Policy, d.UpdatedAt = outreach.StatusRetrying, "smtp 421", "", base.Add(time.Hour)
	mustRecord(t, s, d)
	d.Status, d.Error, d.ProviderID, d.UpdatedAt = outreach.StatusSent, "", "<d1@outreach>", base.Add(2*time.Hour)
	mustRecord(t, s, d)
	checkHistory(t, s, "d1",
		"deferred@0s error: deferred until 08:00; policy: quiet_hours",
		"retrying@1h0m0s error: smtp 421",
		"sent@2h0m0s provider id: <d1@outreach>")

	// A provider's reports: one that moves the status forward is an
	// event, a repeated or late one is not.
	sms := queuedSMS("d3", "SM3")
	mustRecord(t, s, sms)
	for _, u := range []outreach.StatusUpdate{
		{ProviderID: "SM3", Status: outreach.StatusSent, At: base.Add(time.Minute)},
		{ProviderID: "SM3", Status: outreach.StatusUndelivered, Error: "twilio error 30003", At: base.Add(2 * time.Minute)},
		{ProviderID: "SM3", Status: outreach.StatusUndelivered, Error: "twilio error 30003", At: base.Add(3 * time.Minute)},
		{ProviderID: "SM3", Status: outreach.StatusSent, At: base.Add(4 * time.Minute)},
	} {
		if _, _, err := s.UpdateStatus(t.Context(), u); err != nil {
			t.Fatalf("UpdateStatus(%+v): %v", u, err)
		}
	}
	checkHistory(t, s, "d3",
		"queued@1s provider id: SM3",
		"sent@1m0s provider id: SM3",
		"undelivered@2m0s error: twilio error 30003; provider id: SM3")

	if es, err := s.Events(t.Context(), "d2", "d1", "nope"); err != nil || len(es) != 4 || es[0].DeliveryID != "d1" || es[3].DeliveryID != "d2" {
		t.Errorf("Events(d2, d1, nope) = %+v, %v; want d1's three then d2's one", es, err)
	}
	if es, err := s.Events(t.Context()); err != nil || len(es) != 0 {
		t.Errorf("Events() = %+v, %v; want none", es, err)
	}
}

// testHistoryOfReplyAndOptOut: a reply to a delivery and an opt-out of
// its channel (or kind) appear in the delivery's history, once.
func testHistoryOfReplyAndOptOut(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustUpsert(t, s, resident("r1"))
	older := queuedSMS("old", "SM-old")
	older.JobID, older.ResidentID, older.CreatedAt = "j0", "r1", base.Add(-time.Hour)
	latest := queuedSMS("new", "SM-new")
	latest.JobID, latest.ResidentID = "j1", "r1"
	mail := delivery("mail", "j1", "r1") // same job, the other channel
	mustRecord(t, s, older, latest, mail)

	stop := outreach.Reply{ID: "SM-in", Channel: outreach.ChannelSMS, From: "+8613800138000", ResidentID: "r1",
		DeliveryID: "new", JobID: "j1", Body: "退订", Action: outreach.ReplyOptOut, ReceivedAt: base.Add(time.Hour)}
	for range 2 { // a provider repeats its webhook
		if _, err := s.RecordReply(t.Context(), stop); err != nil {
			t.Fatalf("RecordReply: %v", err)
		}
	}
	for range 2 { // idempotent: the second changes nothing
		if err := s.SetOptOut(t.Context(), "r1", outreach.ChannelSMS, "", true); err != nil {
			t.Fatalf("SetOptOut: %v", err)
		}
	}
	optOut := history(t, s, "new")
	if len(optOut) != 3 || optOut[1] != "replied@1h0m0s 退订 (opt_out)" || !strings.HasPrefix(optOut[2], "opted_out@") ||
		!strings.HasSuffix(optOut[2], " channel sms") {
		t.Errorf("history of the latest SMS = %q, want queued, replied, opted_out (channel sms)", optOut)
	}
	if err := s.SetOptOut(t.Context(), "r1", outreach.ChannelSMS, "", false); err != nil {
		t.Fatalf("SetOptOut(false): %v", err)
	}
	if got := history(t, s, "new"); len(got) != 4 || !strings.HasPrefix(got[3], "opted_in@") {
		t.Errorf("after the opt-in, history = %q, want an opted_in event last", got)
	}
	if err := s.SetOptOut(t.Context(), "r1", "", outreach.KindMaintenanceNotice, true); err != nil {
		t.Fatalf("SetOptOut(kind): %v", err)
	}
	// The latest of the kind: new and mail share created_at; "new" sorts after "mail".
	if got := history(t, s, "new"); len(got) != 5 || !strings.HasSuffix(got[4], " kind maintenance_notice") {
		t.Errorf("after the kind opt-out, history = %q, want opted_out (kind maintenance_notice) last", got)
	}
	checkHistory(t, s, "old", "queued@1s provider id: SM-old")
	if got := history(t, s, "mail"); len(got) != 1 {
		t.Errorf("the email's history = %q, want its sent event alone", got)
	}

	// A resident with no delivery on the channel: the opt-out is kept,
	// and no delivery's history changes.
	mustUpsert(t, s, resident("r2"))
	if err := s.SetOptOut(t.Context(), "r2", outreach.ChannelSMS, "", true); err != nil {
		t.Fatalf("SetOptOut(r2): %v", err)
	}
	if r := mustResident(t, s, "r2"); !slices.Contains(r.OptOutChannels, outreach.ChannelSMS) {
		t.Errorf("r2's opt-outs = %v, want sms", r.OptOutChannels)
	}
	// A reply matched to no delivery appends nothing.
	if _, err := s.RecordReply(t.Context(), outreach.Reply{ID: "SM-in-2", Channel: outreach.ChannelSMS,
		From: "+8613800138999", Body: "who?", ReceivedAt: base}); err != nil {
		t.Fatalf("RecordReply: %v", err)
	}
}

// testSetNote: the note lands on the deliveries the filter selects, with
// a noted event each; Record keeps it.
func testSetNote(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, delivery("a1", "job-a", "r1"), delivery("a2", "job-a", "r2"), delivery("b1", "job-b", "r1"))
	n, err := s.SetNote(t.Context(), outreach.Filter{JobID: "job-a"}, "已回访，问题已解决")
	if err != nil || n != 2 {
		t.Fatalf("SetNote(job-a) = %d, %v; want 2", n, err)
	}
	n, err = s.SetNote(t.Context(), outreach.Filter{JobID: "job-a", DeliveryID: "a2"}, "called back, resolved")
	if err != nil || n != 1 {
		t.Fatalf("SetNote(a2) = %d, %v; want 1", n, err)
	}
	for id, want := range map[string]string{"a1": "已回访，问题已解决", "a2": "called back, resolved", "b1": ""} {
		if got := only(t, s, id).Note; got != want {
			t.Errorf("note of %s = %q, want %q", id, got, want)
		}
	}
	got := history(t, s, "a2")
	if len(got) != 3 || !strings.HasPrefix(got[1], "noted@") || !strings.HasSuffix(got[2], " called back, resolved") {
		t.Errorf("history of a2 = %q, want sent, then two noted events", got)
	}
	// The recorder writing the delivery again (a status change) keeps the note.
	d := delivery("a1", "job-a", "r1")
	d.Status = outreach.StatusDelivered
	mustRecord(t, s, d)
	if got := only(t, s, "a1").Note; got != "已回访，问题已解决" {
		t.Errorf("after Record, note of a1 = %q, want it kept", got)
	}
	if n, err := s.SetNote(t.Context(), outreach.Filter{JobID: "nope"}, "x"); err != nil || n != 0 {
		t.Errorf("SetNote(unknown job) = %d, %v; want 0, nil", n, err)
	}
	if _, err := s.SetNote(t.Context(), outreach.Filter{Limit: 5}, "x"); !errors.Is(err, outreach.ErrUnfiltered) {
		t.Errorf("SetNote(no filter) = %v, want ErrUnfiltered", err)
	}
	if _, err := s.SetNote(t.Context(), outreach.Filter{JobID: "job-a"}, "bad \x00"); err == nil {
		t.Error("SetNote accepted a NUL byte")
	}
}

// testSearchPages: a search continued page by page with the cursor visits
// every match once, in order, also across equal created_at; building and
// unit filter.
func testSearchPages(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var all []outreach.Delivery
	for i := range 23 {
		d := delivery(fmt.Sprintf("d%02d", i), "j", fmt.Sprintf("r%d", i%3))
		d.CreatedAt = base.Add(time.Duration(i/4) * time.Second) // groups of four share a time
		d.Building, d.Unit = fmt.Sprintf("%d", i%2+1), fmt.Sprintf("%d01", i%3+1)
		all = append(all, d)
	}
	mustRecord(t, s, all...)
	want := mustSearch(t, s, outreach.Filter{})
	for _, f := range []outreach.Filter{{}, {Building: "1"}, {Building: "2", Unit: "301"}, {ResidentID: "r1", Since: base.Add(time.Second)}} {
		want := mustSearch(t, s, f)
		var got []outreach.Delivery
		f.Limit = 5
		for page := 0; ; page++ {
			ds := mustSearch(t, s, f)
			got = append(got, ds...)
			c, ok := outreach.NextCursor(ds, f.Limit)
			if !ok {
				break
			}
			if page > 10 {
				t.Fatalf("Search(%+v) pages do not end", f)
			}
			if f.After, _ = outreach.ParseCursor(c.String()); f.After != c {
				t.Fatalf("cursor %+v does not survive String and ParseCursor (%+v)", c, f.After)
			}
		}
		if !equalIDs(ids(got), ids(want)) {
			t.Errorf("Search(%+v) page by page = %q, want %q", f, ids(got), ids(want))
		}
	}
	if len(want) != 23 {
		t.Errorf("Search() = %d deliveries, want 23", len(want))
	}
	for _, d := range mustSearch(t, s, outreach.Filter{Building: "2", Unit: "301"}) {
		if d.Building != "2" || d.Unit != "301" {
			t.Errorf("Search(building 2, unit 301) returned %s in %s/%s", d.ID, d.Building, d.Unit)
		}
	}
	if got := ids(mustSearch(t, s, outreach.Filter{Building: "2", Unit: "301"})); !equalIDs(got, []string{"d17", "d11", "d05"}) {
		t.Errorf("Search(building 2, unit 301) = %q, want d17, d11, d05", got)
	}
	if got := mustSearch(t, s, outreach.Filter{DeliveryID: "d07"}); len(got) != 1 || got[0].Building != "2" || got[0].Unit != "201" {
		t.Errorf("Search(delivery d07) = %+v, want d07 in 2/201", got)
	}
}

// testPurgeContent: content older than the cutoff goes, in batches;
// metadata, note and history stay; a second run purges nothing.
func testPurgeContent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var ds []outreach.Delivery
	for i := range 7 {
		d := delivery(fmt.Sprintf("d%d", i), "j", "r")
		d.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		ds = append(ds, d)
	}
	mustRecord(t, s, ds...)
	if _, err := s.SetNote(t.Context(), outreach.Filter{DeliveryID: "d0"}, "called back"); err != nil {
		t.Fatalf("SetNote: %v", err)
	}
	before := history(t, s, "d0")
	cutoff := base.Add(5 * time.Hour) // d0..d4
	n, err := s.PurgeContent(t.Context(), cutoff, 2)
	if err != nil || n != 5 {
		t.Fatalf("PurgeContent(batch 2) = %d, %v; want 5", n, err)
	}
	for _, d := range mustSearch(t, s, outreach.Filter{}) {
		old := d.CreatedAt.Before(cutoff)
		purged := d.Subject == "" && d.Body == "" && d.ContentPurgedAt != nil
		kept := d.Subject != "" && d.Body != "" && d.ContentPurgedAt == nil
		if old && !purged || !old && !kept {
			t.Errorf("%s (created %s): subject %q, body %q, purged at %v", d.ID, d.CreatedAt, d.Subject, d.Body, d.ContentPurgedAt)
		}
		if d.Template == "" || d.ProviderID == "" || d.Status != outreach.StatusSent {
			t.Errorf("%s lost its metadata: %+v", d.ID, d)
		}
	}
	if got := only(t, s, "d0").Note; got != "called back" {
		t.Errorf("d0's note after the purge = %q", got)
	}
	checkHistory(t, s, "d0", before...)
	if n, err := s.PurgeContent(t.Context(), cutoff, 2); err != nil || n != 0 {
		t.Errorf("second PurgeContent = %d, %v; want 0", n, err)
	}
	if _, err := s.PurgeContent(t.Context(), cutoff, 0); err == nil {
		t.Error("PurgeContent accepted batch 0")
	}
	// Concurrent purges (two daemons) purge each delivery once.
	more := make([]outreach.Delivery, 50)
	for i := range more {
		more[i] = delivery(fmt.Sprintf("m%02d", i), "j", "r")
	}
	mustRecord(t, s, more...)
	counts := make(chan int64, 3)
	for range 3 {
		go func() {
			n, err := s.PurgeContent(waitCtx(t), base.Add(time.Minute), 7)
			if err != nil {
				t.Errorf("concurrent PurgeContent: %v", err)
			}
			counts <- n
		}()
	}
	var total int64
	for range 3 {
		total += <-counts
	}
	if total != 50 {
		t.Errorf("three concurrent purges purged %d in all, want 50", total)
	}
}

// testDeleteDropsHistory: deleting deliveries deletes their events.
func testDeleteDropsHistory(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, delivery("x1", "jx", "r"), delivery("y1", "jy", "r"))
	if _, err := s.DeleteDeliveries(t.Context(), outreach.Filter{JobID: "jx"}); err != nil {
		t.Fatalf("DeleteDeliveries: %v", err)
	}
	checkHistory(t, s, "x1")
	if got := history(t, s, "y1"); len(got) != 1 {
		t.Errorf("history of the kept delivery = %q, want one event", got)
	}
}
