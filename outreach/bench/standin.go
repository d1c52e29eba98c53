package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// twilioStandIn answers Twilio's Messages API on loopback, for SMS runs
// without Twilio credentials, the way Twilio accepts a message.
type twilioStandIn struct {
	*httptest.Server
	sid, token string
	n          atomic.Int64
}

func newTwilioStandIn() *twilioStandIn {
	t := &twilioStandIn{sid: "ACbench00000000000000000000000000", token: "benchtoken"}
	t.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := t.n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", n), "status": "queued"})
	}))
	return t
}
