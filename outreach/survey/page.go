package survey

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// Data is what a surveyed job's email adds to its data before it is
// rendered: the survey page (survey_url) and the five one-click score
// links (score_url_1 ... score_url_5) of the survey that delivery
// deliveryID opens. nil when the job opens no survey or links are off.
func (s *Service) Data(job outreach.Job, deliveryID string) map[string]any {
	if s.Links == nil || !Surveyed(job) {
		return nil
	}
	// The survey opens once the provider took the message, a moment
	// from now; the page checks the survey's own expiry as well.
	return s.Links.data(outreach.SurveyID(deliveryID), s.now().Add(s.expiry()+time.Hour))
}

// maxForm bounds the survey page's form (a score and a comment).
const maxForm = 16 << 10

// Page serves the survey page and its one-click links (GET and POST
// PagePath{token}). A GET of a score link records that score at once,
// the first time only (a mail scanner that opens every link changes
// nothing after the first), and shows the page: the estate's name, the
// chosen score (changeable while the survey is open) and a comment box.
// The page's POST, with its CSRF token, confirms or changes the score and
// keeps the comment; a thank-you page follows. A forged link is 400, an
// unknown survey 404, an expired link or survey 410: each a page of its
// own, and none changes anything.
func (s *Service) Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		if s.Links == nil {
			http.NotFound(w, r)
			return
		}
		s.page(w, r)
	})
}

func (s *Service) page(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.now()
	token := r.PathValue("token")
	id, score, err := s.Links.Parse(token, now)
	if errors.Is(err, ErrBadLink) {
		s.show(w, r, http.StatusBadRequest, view{Message: msgInvalid})
		return
	}
	sv, serr := s.Store.Survey(ctx, id)
	if errors.Is(serr, outreach.ErrNotFound) {
		s.show(w, r, http.StatusNotFound, view{Message: msgInvalid})
		return
	}
	if serr != nil {
		s.logger().Error("survey page: read the survey", "err", serr)
		s.show(w, r, http.StatusServiceUnavailable, view{Message: msgTrouble})
		return
	}
	v := view{Survey: sv, Estate: s.estateName(r, sv.Estate)}
	if err != nil || !now.Before(sv.ExpiresAt) || sv.State == outreach.SurveyExpired || sv.State == outreach.SurveyClosed {
		v.Message = msgClosed
		s.show(w, r, http.StatusGone, v)
		return
	}
	if r.Method == http.MethodPost {
		s.post(w, r, token, v)
		return
	}
	if score > 0 && sv.State == outreach.SurveyOpen && sv.ClickedAt == nil {
		sv, err = s.answer(r, sv.ID, score, "", "email", true)
		if err != nil {
			s.logger().Error("survey page: record the clicked score", "survey_id", id, "err", err)
			s.show(w, r, http.StatusServiceUnavailable, view{Message: msgTrouble})
			return
		}
		v.Survey = sv
	}
	v.Form, v.CSRF = true, s.Links.csrf(token)
	s.show(w, r, http.StatusOK, v)
}

func (s *Service) post(w http.ResponseWriter, r *http.Request, token string, v view) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		v.Message = msgTooLong
		s.show(w, r, http.StatusRequestEntityTooLarge, v)
		return
	}
	if !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.Links.csrf(token))) {
		v.Message = msgInvalid
		s.show(w, r, http.StatusForbidden, v)
		return
	}
	score, err := strconv.Atoi(r.PostFormValue("score"))
	comment := strings.TrimSpace(strings.ToValidUTF8(r.PostFormValue("comment"), "\uFFFD"))
	v.Form, v.CSRF, v.Comment = true, s.Links.csrf(token), comment
	switch {
	case err != nil || score < MinScore || score > MaxScore:
		v.Message = msgPickScore
		s.show(w, r, http.StatusBadRequest, v)
		return
	case utf8.RuneCountInString(comment) > MaxComment || strings.IndexByte(comment, 0) >= 0:
		v.Message = msgTooLong
		s.show(w, r, http.StatusBadRequest, v)
		return
	}
	sv, err := s.answer(r, v.Survey.ID, score, comment, "web", false)
	if err != nil {
		s.logger().Error("survey page: record the answer", "survey_id", v.Survey.ID, "err", err)
		s.show(w, r, http.StatusServiceUnavailable, view{Message: msgTrouble})
		return
	}
	s.show(w, r, http.StatusOK, view{Survey: sv, Estate: v.Estate, Thanks: true})
}

// answer records a score from a link (click: the first GET) or the page's
// form, and escalates a low one.
func (s *Service) answer(r *http.Request, id string, score int, comment, via string, click bool) (outreach.Survey, error) {
	now := s.now()
	first := false
	sv, err := s.Store.UpdateSurvey(r.Context(), id, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
		first = false
		if cur.State != outreach.SurveyOpen && cur.State != outreach.SurveyAnswered {
			return nil, nil
		}
		if click && (cur.ClickedAt != nil || cur.State != outreach.SurveyOpen) {
			return nil, nil // a second GET (a mail scanner) changes nothing
		}
		kind := outreach.SurveyAnswer
		if cur.State == outreach.SurveyAnswered {
			kind = outreach.SurveyChanged
		} else {
			first = true
		}
		if kind == outreach.SurveyChanged && cur.Score == score && comment == "" {
			return nil, nil // confirmed as it was
		}
		cur.State, cur.Score, cur.AnsweredVia, cur.AnsweredAt = outreach.SurveyAnswered, score, via, &now
		if click {
			cur.ClickedAt = &now
		}
		if comment != "" {
			cur.Comment = Truncate(comment)
		}
		return []outreach.SurveyEvent{{Event: kind, At: now, Detail: fmt.Sprintf("score %d; channel %s%s", score, via, commentDetail(comment))}}, nil
	})
	if err != nil {
		return sv, err
	}
	if first && s.Metrics != nil {
		s.Metrics.SurveyResponses.WithLabelValues(sv.Estate, strconv.Itoa(sv.Score)).Inc()
	}
	return s.escalateIfDue(r.Context(), sv)
}

func (s *Service) estateName(r *http.Request, id string) string {
	if e, err := s.Store.Estate(r.Context(), id); err == nil {
		return e.Name
	}
	return ""
}
