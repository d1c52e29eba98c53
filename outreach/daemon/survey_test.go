package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
	"github.com/outreach-dev/outreach/outreach/survey"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const callback = `{"id":%q,"kind":"satisfaction_callback","resident_id":%q,"data":{"service":"厨房水槽维修","work_order":%q%s}}`

// surveysOf lists a resident's surveys, newest first.
func (h *harness) surveysOf(residentID string) []outreach.Survey {
	h.t.Helper()
	list, err := h.d.Store.Surveys(context.Background(), outreach.SurveyFilter{ResidentIDs: []string{residentID}})
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// reply posts a signed inbound SMS to the daemon's webhook.
func (h *harness) reply(from, body string) {
	h.t.Helper()
	code, err := h.twilio.Webhook(publicURL+sms.InboundPath, twiliotest.AuthToken, h.twilio.InboundForm(from, "+15005550006", body))
	if err != nil || code != 200 {
		h.t.Fatalf("inbound %q from %s: %d %v", body, from, code, err)
	}
}

// TestSatisfactionLoopBySMS is the SMS half of issue 12's "done when", on
// real Redis, both archive drivers and the real twilio-go client against
// the Twilio stand-in: "5分" scores a survey tied to its work order; a
// second survey within 30 days is suppressed as survey_fatigue (unless the
// job says required); a reply without a score is kept and gets exactly
// one re-ask; a "2" escalates to the estate's staff with a call-back task,
// which a note closes; replies from an unknown number change nothing.
func TestSatisfactionLoopBySMS(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) { withPublicURL(c) })
			h.forward()
			ctx := context.Background()
			if err := h.d.Store.CreateEstate(ctx, outreach.Estate{ID: "sunshine", Name: "阳光花园", ServicePhone: "0755-8888-8888"}); err != nil {
				t.Fatal(err)
			}
			const phoneA, phoneB = "+8613800138501", "+8613800138502"
			h.upsert(
				outreach.Resident{ID: "r-a", Estate: "sunshine", Name: "张伟", Phone: phoneA, Locale: "zh-CN", Building: "1", Unit: "101"},
				outreach.Resident{ID: "r-b", Estate: "sunshine", Name: "王秀英", Phone: phoneB, Locale: "zh-CN", Building: "2", Unit: "202", Tags: []string{"elderly"}},
				outreach.Resident{ID: "s-1", Estate: "sunshine", Name: "刘工", Email: "liu@example.com", Locale: "zh-CN", Tags: []string{"staff"}},
				// Staff of another estate hear nothing of sunshine's scores.
				outreach.Resident{ID: "s-other", Name: "Other", Email: "other@example.com", Locale: "en", Tags: []string{"staff"}},
			)
			h.start()

			// "5分" scores the survey, tied to its work order.
			h.xadd("job", fmt.Sprintf(callback, "cb-a1", "r-a", "WO-1", ""))
			eventually(t, "the survey to r-a sent", func() bool { return h.settled() && len(h.surveysOf("r-a")) == 1 })
			sv := h.surveysOf("r-a")[0]
			if sv.State != outreach.SurveyOpen || sv.WorkOrder != "WO-1" || sv.Service != "厨房水槽维修" || sv.Estate != "sunshine" ||
				sv.Building != "1" || sv.Channel != outreach.ChannelSMS || sv.ExpiresAt.Sub(sv.SentAt) != 7*24*time.Hour {
				t.Errorf("survey opened as %+v", sv)
			}
			h.reply(phoneA, "5分")
			sv = h.surveysOf("r-a")[0]
			if sv.State != outreach.SurveyAnswered || sv.Score != 5 || sv.AnsweredVia != "sms" || sv.WorkOrder != "WO-1" || sv.EscalatedAt != nil {
				t.Errorf("after 5分: %+v", sv)
			}
			replies, err := h.d.Store.Replies(ctx, outreach.Filter{ResidentID: "r-a"})
			if err != nil || len(replies) != 1 || replies[0].DeliveryID != sv.DeliveryID || replies[0].JobID != "cb-a1" {
				t.Errorf("replies %+v (%v), want the answer against cb-a1", replies, err)
			}

			// A second survey within 30 days is suppressed; a required one goes.
			h.xadd("job", fmt.Sprintf(callback, "cb-a2", "r-a", "WO-2", ""))
			h.xadd("job", fmt.Sprintf(callback, "cb-a3", "r-a", "WO-3", `,"required":true`))
			eventually(t, "the second and third callbacks archived", func() bool {
				return h.settled() && len(h.search(outreach.Filter{JobID: "cb-a2"})) == 1 && len(h.search(outreach.Filter{JobID: "cb-a3"})) == 1
			})
			if rec := h.only("cb-a2"); rec.Status != outreach.StatusSuppressed || rec.Policy != outreach.PolicySurveyFatigue {
				t.Errorf("second callback archived as %s (policy %q), want suppressed for survey_fatigue", rec.Status, rec.Policy)
			}
			if rec := h.only("cb-a3"); !rec.Status.Accepted() {
				t.Errorf("required callback archived as %s, want sent", rec.Status)
			}
			if n, _ := h.smsTo(phoneA); n != 2 {
				t.Errorf("r-a got %d SMS, want 2 (first and required callbacks)", n)
			}
			if list := h.surveysOf("r-a"); len(list) != 2 || list[0].JobID != "cb-a3" || !list[0].SkipFatigue {
				t.Errorf("surveys of r-a after the required callback: %+v", list)
			}
			m := h.d.Metrics()
			if got := testutil.ToFloat64(m.PolicyDecisions.WithLabelValues("suppressed", "survey_fatigue")); got != 1 {
				t.Errorf("survey_fatigue suppressions counted %v, want 1", got)
			}

			// Words without a score: kept, and exactly one re-ask.
			h.xadd("job", fmt.Sprintf(callback, "cb-b1", "r-b", "WO-7", `,"contact":"0755-8888-8888"`)) // the elderly variant gives a number to call
			eventually(t, "the survey to r-b sent", func() bool { return h.settled() && len(h.surveysOf("r-b")) == 1 })
			h.reply(phoneB, "师傅什么时候再来？")
			eventually(t, "the re-ask sent", func() bool { n, _ := h.smsTo(phoneB); return h.settled() && n == 2 })
			h.reply(phoneB, "还是有点漏")
			eventually(t, "the second comment settled", func() bool { return h.settled() })
			n, bodies := h.smsTo(phoneB)
			if n != 2 || !strings.Contains(bodies[1], "1到5") {
				t.Errorf("r-b got %d SMS %q, want the callback and one plain-words re-ask", n, bodies)
			}
			sv = h.surveysOf("r-b")[0]
			if sv.State != outreach.SurveyOpen || sv.ReaskedAt == nil || sv.Comment != "师傅什么时候再来？\n还是有点漏" {
				t.Errorf("after two comments: %+v", sv)
			}
			if rec := h.only(survey.ReaskJobID(sv.ID)); rec.Variant != "elderly" || !rec.Status.Accepted() {
				t.Errorf("re-ask archived as %+v, want the elderly variant sent", rec)
			}

			// A 2 escalates to sunshine's staff with a call-back task.
			h.reply(phoneB, "2 还是漏水")
			eventually(t, "the escalation sent", func() bool {
				return h.settled() && len(h.search(outreach.Filter{JobID: survey.EscalationJobID(sv.ID)})) == 1
			})
			esc := h.only(survey.EscalationJobID(sv.ID))
			if esc.ResidentID != "s-1" || esc.Kind != outreach.KindEscalation || !esc.Status.Accepted() ||
				!strings.Contains(esc.Body, "WO-7") || !strings.Contains(esc.Body, "2分") || !strings.Contains(esc.Body, "还是漏水") ||
				!strings.Contains(esc.Body, "2号楼202室") || !strings.Contains(esc.Body, "王秀英") {
				t.Errorf("escalation archived as %+v", esc)
			}
			if got := len(received(h.smtp, "other@example.com")); got != 0 {
				t.Errorf("another estate's staff got %d emails", got)
			}
			sv = h.surveysOf("r-b")[0]
			if sv.State != outreach.SurveyAnswered || sv.Score != 2 || sv.EscalatedAt == nil || sv.EscalationJob != esc.JobID ||
				sv.CallbackDue == nil || sv.CallbackDue.Sub(*sv.EscalatedAt) != 24*time.Hour || !sv.CallbackOpen() {
				t.Errorf("after the 2: %+v", sv)
			}
			if n, _ := h.smsTo(phoneB); n != 2 {
				t.Errorf("r-b got %d SMS after scoring, want still 2", n)
			}
			closed, err := h.d.Surveys.CallBack(ctx, sv.ID, "已回电，明天上门复修")
			if err != nil || closed.CallbackOpen() || closed.CallbackNote != "已回电，明天上门复修" {
				t.Errorf("call-back note: %+v %v", closed, err)
			}
			events, err := h.d.Store.SurveyEvents(ctx, sv.ID)
			var kinds []string
			for _, e := range events {
				kinds = append(kinds, string(e.Event))
			}
			if want := "sent commented reasked commented answered escalated called_back"; err != nil || strings.Join(kinds, " ") != want {
				t.Errorf("survey history %v (%v), want %s", kinds, err, want)
			}

			// Unknown numbers, no open survey: archived, counted, nothing else.
			h.reply("+8613800138599", "5")
			h.reply(phoneA, "4") // r-a's surveys: cb-a1 answered, cb-a3 open: this answers cb-a3
			h.reply(phoneA, "1") // nothing open any more
			if got := testutil.ToFloat64(m.SurveyReplies.WithLabelValues(metrics.ReplyUnknown)); got != 1 {
				t.Errorf("unknown_sender counted %v, want 1", got)
			}
			if got := testutil.ToFloat64(m.SurveyReplies.WithLabelValues(metrics.ReplyNoSurvey)); got != 1 {
				t.Errorf("no_open_survey counted %v, want 1", got)
			}
			if list := h.surveysOf("r-a"); list[0].Score != 4 || list[1].Score != 5 {
				t.Errorf("r-a's scores %d %d, want 4 (cb-a3) and 5 (cb-a1)", list[0].Score, list[1].Score)
			}
			if got := testutil.ToFloat64(m.SurveyResponses.WithLabelValues("sunshine", "2")); got != 1 {
				t.Errorf("responses{sunshine,2} = %v, want 1", got)
			}
			if got := testutil.ToFloat64(m.SurveyEscalations.WithLabelValues(metrics.EscalationQueued)); got != 1 {
				t.Errorf("escalations = %v, want 1", got)
			}
		})
	}
}

// TestSatisfactionLoopByEmail is the email half of issue 12's "done
// when": a click on "2" in the email scores the survey at once, tied to
// its work order, and escalates with a call-back task; a mail scanner's
// later GET of another score changes nothing; a tampered link is refused
// and changes nothing; the page's form needs its CSRF token, changes the
// score and escapes what the resident typed.
func TestSatisfactionLoopByEmail(t *testing.T) {
	t.Parallel()
	for driver, dbURL := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, dbURL, func(c *config.Config, _ *dispatch.Config) { withPublicURL(c) })
			ctx := context.Background()
			if err := h.d.Store.CreateEstate(ctx, outreach.Estate{ID: "sunshine", Name: "阳光花园", ServicePhone: "0755-8888-8888"}); err != nil {
				t.Fatal(err)
			}
			h.upsert(
				outreach.Resident{ID: "r-mail", Estate: "sunshine", Name: "李明", Email: "li.ming@example.com", Locale: "zh-CN", Building: "3", Unit: "303"},
				outreach.Resident{ID: "s-1", Estate: "sunshine", Name: "刘工", Email: "liu@example.com", Locale: "zh-CN", Tags: []string{"staff"}},
			)
			h.start()
			h.xadd("job", fmt.Sprintf(callback, "cb-mail", "r-mail", "WO-E1", ""))
			eventually(t, "the emailed survey opened", func() bool { return h.settled() && len(h.surveysOf("r-mail")) == 1 })
			rec := h.only("cb-mail")
			links := map[string]string{}
			for _, m := range regexp.MustCompile(`(\d)分 [^：]+：(\S+)`).FindAllStringSubmatch(rec.Body, -1) {
				links[m[1]] = strings.Replace(m[2], publicURL, "http://"+h.d.Addr(), 1)
			}
			if len(links) != 5 || !strings.Contains(rec.Body, publicURL+survey.PagePath) {
				t.Fatalf("the email's score links: %v\n%s", links, rec.Body)
			}
			get := func(u string) (int, string) {
				t.Helper()
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}

			// A tampered link (the 2's signature on a 1) changes nothing.
			tampered := strings.Replace(links["2"], ".2.", ".1.", 1)
			if code, body := get(tampered); code != http.StatusBadRequest || !strings.Contains(body, "链接无效") {
				t.Errorf("tampered link = %d\n%s", code, body)
			}
			if sv := h.surveysOf("r-mail")[0]; sv.State != outreach.SurveyOpen || sv.Score != 0 {
				t.Errorf("a tampered link changed the survey: %+v", sv)
			}

			// The click on 2 records it at once and opens the page.
			code, page := get(links["2"])
			if code != 200 || !strings.Contains(page, "阳光花园") || !regexp.MustCompile(`value="2" checked`).MatchString(page) {
				t.Errorf("click on 2 = %d\n%s", code, page)
			}
			sv := h.surveysOf("r-mail")[0]
			if sv.State != outreach.SurveyAnswered || sv.Score != 2 || sv.AnsweredVia != "email" || sv.WorkOrder != "WO-E1" || sv.ClickedAt == nil {
				t.Errorf("after the click on 2: %+v", sv)
			}
			eventually(t, "the escalation of the 2", func() bool {
				return h.settled() && len(h.search(outreach.Filter{JobID: survey.EscalationJobID(sv.ID)})) == 1
			})
			if esc := h.only(survey.EscalationJobID(sv.ID)); esc.ResidentID != "s-1" || !strings.Contains(esc.Body, "WO-E1") || !strings.Contains(esc.Body, "2分") {
				t.Errorf("escalation %+v", esc)
			}
			if sv := h.surveysOf("r-mail")[0]; !sv.CallbackOpen() {
				t.Errorf("no call-back task after the 2: %+v", sv)
			}

			// A mail scanner opening the 5 afterwards changes nothing.
			if code, _ := get(links["5"]); code != 200 {
				t.Errorf("second GET = %d", code)
			}
			if sv := h.surveysOf("r-mail")[0]; sv.Score != 2 {
				t.Errorf("a second GET changed the score to %d", sv.Score)
			}

			// The form: no CSRF token, no change; a bad score shows the
			// resident's words escaped; a good post changes the score.
			post := func(form url.Values) (int, string) {
				t.Helper()
				resp, err := http.PostForm(links["2"], form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, _ := post(url.Values{"score": {"4"}}); code != http.StatusForbidden {
				t.Errorf("post without CSRF = %d, want 403", code)
			}
			csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
			if csrf == nil {
				t.Fatalf("no CSRF token on the page:\n%s", page)
			}
			code, body := post(url.Values{"csrf": {csrf[1]}, "score": {"9"}, "comment": {"<script>alert(1)</script>"}})
			if code != http.StatusBadRequest || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
				t.Errorf("post with score 9 = %d\n%s", code, body)
			}
			if code, body := post(url.Values{"csrf": {csrf[1]}, "score": {"4"}, "comment": {"师傅后来又来修好了"}}); code != 200 || !strings.Contains(body, "感谢") {
				t.Errorf("post with score 4 = %d\n%s", code, body)
			}
			sv = h.surveysOf("r-mail")[0]
			if sv.Score != 4 || sv.Comment != "师傅后来又来修好了" || sv.AnsweredVia != "web" {
				t.Errorf("after the form: %+v", sv)
			}
			events, _ := h.d.Store.SurveyEvents(ctx, sv.ID)
			var kinds []string
			for _, e := range events {
				kinds = append(kinds, string(e.Event))
			}
			if want := "sent answered escalated changed"; strings.Join(kinds, " ") != want {
				t.Errorf("history %v, want %s", kinds, want)
			}
		})
	}
}
