package dispatch

import (
	"context"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// BenchmarkDeliverResident runs the resident stages (route, policy,
// render, send to a sender that accepts at once) for one resident of a
// bulk notice: the dispatcher's own share of a job's delivery, without
// the network.
func BenchmarkDeliverResident(b *testing.B) {
	email := outreach.ChannelEmail
	accept := senderFunc{ch: email, send: func(outreach.Message) (outreach.Receipt, error) {
		return outreach.Receipt{ProviderID: "p-email", Status: outreach.StatusSent}, nil
	}}
	d := testDispatcher(b, map[outreach.Channel]outreach.Sender{email: accept}, nil)
	r := outreach.Resident{ID: "r1", Name: "Emily", Email: "e@example.com", Locale: "en"}
	job := noticeJob(outreach.PriorityBulk)
	e := queue.Entry{ID: "1764780000000-0", Stream: "outreach:jobs:bulk"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p := d.deliverTo(ctx, testAttempt(d, job, e), r)
		if len(p.recs) != 1 || p.recs[0].Status != outreach.StatusSent || p.recs[0].SentAt == nil {
			b.Fatalf("records = %+v, want one sent", p.recs)
		}
	}
}

// BenchmarkNewAttempt starts the attempt of a job whose resident and
// outcomes the read batch looked up (see prefetch).
func BenchmarkNewAttempt(b *testing.B) {
	d := testDispatcher(b, nil, nil)
	pre := prefetchedWithResident(outreach.Resident{ID: "r1", Name: "Emily", Email: "e@example.com", Locale: "en"})
	pre.priorOK = true
	e := queue.Entry{ID: "1764780000000-0", Stream: "outreach:jobs:bulk"}
	b.ReportAllocs()
	for b.Loop() {
		if a := newAttempt(d.logger, e, pre); len(a.residents) != 1 {
			b.Fatalf("%d residents, want 1", len(a.residents))
		}
	}
}
