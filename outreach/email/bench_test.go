package email_test

import (
	"context"
	"testing"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// BenchmarkSend measures messages per second over 4 pooled connections to
// the in-process server (which discards the data).
func BenchmarkSend(b *testing.B) {
	srv := emailtest.NewServer(b, emailtest.Options{Discard: true})
	s := newSender(b, srv, func(c *email.Config) { c.Conns = 4 })
	m := message("r1", "lisa@example.com")
	ctx := context.Background()
	send(b, s, m) // dial outside the timer

	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if got := srv.Connections(); got > 4 {
		b.Errorf("server saw %d connections, want at most 4", got)
	}
}
