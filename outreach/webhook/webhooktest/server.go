// Package webhooktest runs stand-ins for the chat robots of WeCom, DingTalk
// and Slack on an httptest server, for tests of code that posts to them.
// Each checks requests the way its provider does (key or token, DingTalk's
// signature and timestamp, the JSON shape) and answers with the provider's
// own success and error bodies; a test can queue failures.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Credentials the stand-ins accept.
const (
	WeComKey       = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"
	DingTalkToken  = "a1b2c3d4e5f6"
	DingTalkSecret = "SECf00dfacecafe0123456789abcdef"
	slackPath      = "/services/T000/B000/XXXX"
)

// Reply is a canned answer: HTTP status, body and Retry-After header.
type Reply struct {
	Status     int
	Body       string
	RetryAfter string
}

// Server is the running stand-in for all three robots.
type Server struct {
	*httptest.Server
	// Signed makes the DingTalk robot require a signature with
	// DingTalkSecret (set it before the first post).
	Signed bool

	mu      sync.Mutex
	posts   map[outreach.Channel][]string
	queued  map[outreach.Channel][]Reply
	refused map[outreach.Channel]int
}

// NewServer starts the stand-ins; tb's cleanup stops them.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{posts: map[outreach.Channel][]string{}, queued: map[outreach.Channel][]Reply{}, refused: map[outreach.Channel]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/webhook/send", s.wecom)
	mux.HandleFunc("POST /robot/send", s.dingtalk)
	mux.HandleFunc("POST "+slackPath, s.slack)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// WeComURL, DingTalkURL and SlackURL are the robots' webhook URLs.
func (s *Server) WeComURL() string    { return s.URL + "/cgi-bin/webhook/send?key=" + WeComKey }
func (s *Server) DingTalkURL() string { return s.URL + "/robot/send?access_token=" + DingTalkToken }
func (s *Server) SlackURL() string    { return s.URL + slackPath }

// Queue makes ch's robot answer the next len(replies) valid posts with
// replies, in order, instead of taking them.
func (s *Server) Queue(ch outreach.Channel, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[ch] = append(s.queued[ch], replies...)
}

// Posts returns the texts ch's robot took.
func (s *Server) Posts(ch outreach.Channel) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts[ch]...)
}

// Refused is how many posts ch's robot refused (bad key, bad signature,
// bad payload, or a queued failure).
func (s *Server) Refused(ch outreach.Channel) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[ch]
}

// take records text, unless a failure is queued: then it answers that.
func (s *Server) take(w http.ResponseWriter, ch outreach.Channel, text string, ok Reply) {
	s.mu.Lock()
	var r Reply
	if q := s.queued[ch]; len(q) > 0 {
		r, s.queued[ch] = q[0], q[1:]
		s.refused[ch]++
	} else {
		r = ok
		s.posts[ch] = append(s.posts[ch], text)
	}
	s.mu.Unlock()
	answer(w, r)
}

func (s *Server) refuse(w http.ResponseWriter, ch outreach.Channel, r Reply) {
	s.mu.Lock()
	s.refused[ch]++
	s.mu.Unlock()
	answer(w, r)
}

func answer(w http.ResponseWriter, r Reply) {
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	_, _ = io.WriteString(w, r.Body)
}

// Errcode is a WeCom or DingTalk answer with HTTP 200 and errcode code.
func Errcode(code int, msg string) Reply {
	b, _ := json.Marshal(map[string]any{"errcode": code, "errmsg": msg})
	return Reply{Status: http.StatusOK, Body: string(b)}
}

// textBody reads {"msgtype":"text","text":{"content":...}}.
func textBody(r *http.Request) (string, bool) {
	var p struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil || p.MsgType != "text" || p.Text.Content == "" {
		return "", false
	}
	return p.Text.Content, true
}

// wecom answers like qyapi.weixin.qq.com/cgi-bin/webhook/send.
func (s *Server) wecom(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("key") != WeComKey {
		s.refuse(w, outreach.ChannelWeCom, Errcode(93000, "invalid webhook url, hint: [1700000000_1_abc]"))
		return
	}
	text, ok := textBody(r)
	if !ok {
		s.refuse(w, outreach.ChannelWeCom, Errcode(40008, "invalid message type"))
		return
	}
	if len(text) > 2048 {
		s.refuse(w, outreach.ChannelWeCom, Errcode(45002, "content exceed max length"))
		return
	}
	s.take(w, outreach.ChannelWeCom, text, Errcode(0, "ok"))
}

// dingtalk answers like oapi.dingtalk.com/robot/send, checking the
// signature as DingTalk documents it: timestamp within an hour, sign the
// base64 HMAC-SHA256 of timestamp+"\n"+secret keyed with the secret.
func (s *Server) dingtalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("access_token") != DingTalkToken {
		s.refuse(w, outreach.ChannelDingTalk, Errcode(300001, "token is not exist"))
		return
	}
	if s.Signed {
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Hour {
			s.refuse(w, outreach.ChannelDingTalk, Errcode(310000, "invalid timestamp"))
			return
		}
		mac := hmac.New(sha256.New, []byte(DingTalkSecret))
		fmt.Fprintf(mac, "%s\n%s", q.Get("timestamp"), DingTalkSecret)
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(q.Get("sign")), []byte(want)) {
			s.refuse(w, outreach.ChannelDingTalk, Errcode(310000, "sign not match"))
			return
		}
	}
	text, ok := textBody(r)
	if !ok {
		s.refuse(w, outreach.ChannelDingTalk, Errcode(40035, "缺少参数 json"))
		return
	}
	s.take(w, outreach.ChannelDingTalk, text, Errcode(0, "ok"))
}

// slack answers like hooks.slack.com: "ok", or a status and a short code.
func (s *Server) slack(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
		s.refuse(w, outreach.ChannelSlack, Reply{Status: http.StatusBadRequest, Body: "invalid_payload"})
		return
	}
	if p.Text == "" {
		s.refuse(w, outreach.ChannelSlack, Reply{Status: http.StatusBadRequest, Body: "no_text"})
		return
	}
	s.take(w, outreach.ChannelSlack, p.Text, Reply{Status: http.StatusOK, Body: "ok"})
}
