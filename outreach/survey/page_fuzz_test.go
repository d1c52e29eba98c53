package survey_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// jobSink takes the escalations a low score enqueues.
type jobSink struct{}

func (jobSink) Enqueue(context.Context, outreach.Job) (string, error) { return "0-1", nil }

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// FuzzPage sends arbitrary requests to the emailed survey's page: a
// valid page or score link or any token, GET or POST, any form (with the
// page's CSRF token or without). Nothing answers 5xx, and whatever the
// survey holds afterwards is a score of the scale and a comment of valid
// UTF-8 within MaxComment.
func FuzzPage(f *testing.F) {
	st, err := sqlite.Open(f.Context(), sqlite.Memory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	now := time.Now()
	id := outreach.SurveyID("d-fuzz")
	if _, _, err := st.OpenSurvey(f.Context(), outreach.Survey{ID: id, ResidentID: "r1", JobID: "j-fuzz", DeliveryID: "d-fuzz",
		Channel: outreach.ChannelEmail, State: outreach.SurveyOpen, SentAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}); err != nil {
		f.Fatal(err)
	}
	links := survey.NewLinks(outreach.Secret(strings.Repeat("k", 40)), "https://outreach.example.com")
	svc := &survey.Service{Store: st, Jobs: jobSink{}, Links: links}
	mux := http.NewServeMux()
	mux.Handle("GET "+survey.PagePath+"{token}", svc.Page())
	mux.Handle("POST "+survey.PagePath+"{token}", svc.Page())
	expires := now.Add(30 * 24 * time.Hour)
	page := links.Token(id, 0, expires)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", survey.PagePath+page, nil))
	m := csrfValue.FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil {
		f.Fatalf("the page = %d, no csrf field: %s", w.Code, w.Body)
	}
	csrf := m[1]

	f.Add(byte(0), "", true, true, "score=4&comment=维修师傅很及时")
	f.Add(byte(1), "", false, false, "")
	f.Add(byte(0), "", true, true, "score=9&comment=x")
	f.Add(byte(0), "", true, false, "score=1")
	f.Add(byte(2), "x.y.z.w", true, true, "score=%zz")
	f.Add(byte(0), "", true, true, "score=2&comment="+strings.Repeat("长", survey.MaxComment+1))
	f.Add(byte(0), "", true, true, "score=3&comment=%00%ff%fe")
	f.Fuzz(func(t *testing.T, mode byte, raw string, post, withCSRF bool, form string) {
		var token string
		switch mode % 3 {
		case 0:
			token = page
		case 1:
			token = links.Token(id, int(mode%7), expires) // scores 0-6, some off the scale
		default:
			token = raw
		}
		method := "GET"
		var body string
		if post {
			method = "POST"
			body = form
			if withCSRF {
				body = "csrf=" + url.QueryEscape(csrf) + "&" + form
			}
		}
		r := httptest.NewRequestWithContext(t.Context(), method, "/", strings.NewReader(body))
		r.URL.Path = survey.PagePath + token
		r.URL.RawPath = survey.PagePath + url.PathEscape(token)
		if post {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q %q answered %d %s", method, token, body, w.Code, w.Body)
		}
		sv, err := st.Survey(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sv.Score != 0 && (sv.Score < survey.MinScore || sv.Score > survey.MaxScore) {
			t.Fatalf("the survey holds score %d after %s %q", sv.Score, method, body)
		}
		if !utf8.ValidString(sv.Comment) || utf8.RuneCountInString(sv.Comment) > survey.MaxComment || strings.IndexByte(sv.Comment, 0) >= 0 {
			t.Fatalf("the survey holds comment %q after %s %q", sv.Comment, method, body)
		}
	})
}
