package daemon_test

import (
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// twilioServer stands in for Twilio's Messages API; the real twilio-go
// client talks to it. Numbers in unsubscribed answer with error 21610.
type twilioServer struct {
	*httptest.Server
	sid, token string

	mu           sync.Mutex
	calls        map[string]int // per To
	bodies       map[string][]string
	unsubscribed map[string]bool
}

func newTwilioServer(t *testing.T) *twilioServer {
	t.Helper()
	ts := &twilioServer{sid: "AC0123456789abcdef0123456789abcdef", token: "testtoken0123456789",
		calls: map[string]int{}, bodies: map[string][]string{}, unsubscribed: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *twilioServer) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != ts.sid || pass != ts.token {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+ts.sid+"/Messages.json" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	to := r.PostForm.Get("To")
	ts.mu.Lock()
	ts.calls[to]++
	n := ts.calls[to]
	unsub := ts.unsubscribed[to]
	if !unsub {
		ts.bodies[to] = append(ts.bodies[to], r.PostForm.Get("Body"))
	}
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if unsub {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": "SM" + strings.Repeat("0", 30) + string(rune('a'+n%26)), "status": "queued", "to": to, "body": r.PostForm.Get("Body")})
}

func (ts *twilioServer) callsTo(to string) (int, []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.calls[to], append([]string(nil), ts.bodies[to]...)
}

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
