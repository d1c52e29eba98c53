package daemon_test

import (
	"testing"
	"time"
)

// eventually polls cond until it holds or the deadline passes. It waits for
// asynchronous work; it asserts nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// smsTo is how many requests for the number to reached the Twilio
// stand-in, and the bodies of the messages it took.
func (h *harness) smsTo(to string) (int, []string) {
	var bodies []string
	for _, m := range h.twilio.To(to) {
		bodies = append(bodies, m.Body)
	}
	return h.twilio.Calls(to), bodies
}
