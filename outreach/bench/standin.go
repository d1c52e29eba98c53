package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// twilioStandIn answers Twilio's Messages API on loopback, for SMS runs
// without Twilio credentials, the way Twilio accepts a message.
type twilioStandIn struct {
	*httptest.Server
	sid, token string
	n          atomic.Int64

	mu          sync.Mutex
	first, last time.Time   // when the first and the latest message came
	times       []time.Time // when each message came
}

func newTwilioStandIn() *twilioStandIn {
	t := &twilioStandIn{sid: "ACbench00000000000000000000000000", token: "benchtoken"}
	t.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := t.n.Add(1)
		t.mu.Lock()
		now := time.Now()
		if t.first.IsZero() {
			t.first = now
		}
		t.last = now
		t.times = append(t.times, now)
		t.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", n), "status": "queued"})
	}))
	return t
}

// rate is the rate at which messages came, in messages a second: the
// intervals between the first and the last over the time they took (a
// rate limiter with a burst of one spaces them evenly). 0 below two messages.
func (t *twilioStandIn) rate() (float64, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := int(t.n.Load())
	span := t.last.Sub(t.first).Seconds()
	if n < 2 || span <= 0 {
		return 0, n
	}
	return float64(n-1) / span, n
}

// peak1s is the most messages that came within any one second: a limiter
// that holds its rate lets through at most rate+1 (its burst of one).
func (t *twilioStandIn) peak1s() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	peak, from := 0, 0
	for i, at := range t.times { // arrival order is time order
		for at.Sub(t.times[from]) >= time.Second {
			from++
		}
		peak = max(peak, i-from+1)
	}
	return peak
}
