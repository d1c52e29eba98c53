package sms

import (
	"testing"
)

// BenchmarkSend measures Sends through the real twilio-go client against the
// fake Twilio on loopback: the overhead of the client and of this package.
func BenchmarkSend(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		_, srv := startFakeTwilio(b, nil)
		s := newTestSender(b, srv.URL, nil)
		m := testMessage(testTo)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Send(b.Context(), m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
	})
	b.Run("parallel", func(b *testing.B) {
		_, srv := startFakeTwilio(b, nil)
		s := newTestSender(b, srv.URL, nil)
		m := testMessage(testTo)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Send(b.Context(), m); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
	})
}
