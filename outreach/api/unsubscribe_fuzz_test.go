package api

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/outreach/unsubscribe"
)

// FuzzUnsubscribeRequest sends arbitrary one-click unsubscribe requests
// (GET or POST, any token in the path, any body and content type): none
// answers 5xx; a token that does not verify is a 400 that opts nobody
// out; a POST with one that does opts its resident out of its kind.
func FuzzUnsubscribeRequest(f *testing.F) {
	signer, err := unsubscribe.NewSigner(outreach.Secret(strings.Repeat("k", 40)), "https://outreach.example.com")
	if err != nil {
		f.Fatal(err)
	}
	valid := signer.Token(unsubscribe.Request{ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: outreach.KindHolidayGreeting})
	f.Add(true, valid, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
	f.Add(false, valid, "", "")
	f.Add(true, valid+"x", "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
	f.Add(true, valid, "%zz&&==", "application/x-www-form-urlencoded")
	f.Add(true, valid, "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Add(true, "a.b", strings.Repeat("x", maxForm+1), "application/x-www-form-urlencoded")
	st, err := sqlite.Open(f.Context(), sqlite.Memory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.UpsertResidents(f.Context(), []outreach.Resident{{ID: "r1", Name: "王秀英", Email: "wang@example.com"}}); err != nil {
		f.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h := NewHandler(Config{Gatherer: reg, Webhooks: &Webhooks{Store: st, Metrics: metrics.New(reg), Unsubscribe: signer, OptOut: st.SetOptOut}})
	f.Fuzz(func(t *testing.T, post bool, token, body, contentType string) {
		method := "GET"
		if post {
			method = "POST"
		}
		r := httptest.NewRequestWithContext(t.Context(), method, "/", strings.NewReader(body))
		r.URL.Path = unsubscribe.Path + token
		r.URL.RawPath = unsubscribe.Path + url.PathEscape(token)
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q answered %d %s", method, token, w.Code, w.Body)
		}
		req, verr := signer.Verify(token)
		if verr != nil && w.Code == 200 {
			t.Fatalf("%s with a token that does not verify (%v) answered 200", method, verr)
		}
		if verr == nil && post && w.Code == 200 {
			res, err := st.Resident(t.Context(), req.ResidentID)
			if err == nil && !slices.Contains(res.OptOutKinds, req.Kind) {
				t.Fatalf("a one-click POST answered 200 but %s is not opted out of %s: %+v", req.ResidentID, req.Kind, res.OptOutKinds)
			}
		}
	})
}
