package survey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// PagePath is where the survey page and the one-click score links are
// served: <OUTREACH_PUBLIC_URL>/s/<token>.
const PagePath = "/s/"

// Links signs the one-click score links of emailed surveys. A link names
// one survey and one score and expires with the survey; without the key
// none can be made or changed (HMAC-SHA256, compared in constant time).
type Links struct {
	key  []byte
	base string
}

// NewLinks makes the signer from the daemon's secret (the unsubscribe
// secret, OUTREACH_UNSUBSCRIBE_SECRET: a key of its own is derived from
// it) and OUTREACH_PUBLIC_URL.
func NewLinks(secret outreach.Secret, publicURL string) *Links {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte("outreach survey links"))
	return &Links{key: m.Sum(nil), base: strings.TrimRight(publicURL, "/")}
}

// Link is the URL that records score for survey id (0: the page without a
// score) and stops working at expires.
func (l *Links) Link(id string, score int, expires time.Time) string {
	return l.base + PagePath + l.Token(id, score, expires)
}

// Token is the signed part of a link: id "." score "." expiry (Unix
// seconds) "." signature.
func (l *Links) Token(id string, score int, expires time.Time) string {
	payload := id + "." + strconv.Itoa(score) + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + l.sign("link", payload)
}

func (l *Links) sign(purpose, s string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(purpose + "\x00" + s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Errors of Parse.
var (
	ErrBadLink     = errors.New("the link is not valid")
	ErrExpiredLink = errors.New("the link has expired")
)

// Parse checks a token and returns its survey id and score (0 for none).
// A forged or damaged token is ErrBadLink; one past its expiry
// ErrExpiredLink (its id is returned all the same).
func (l *Links) Parse(token string, now time.Time) (id string, score int, err error) {
	if len(token) > 200 {
		return "", 0, ErrBadLink
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 {
		return "", 0, ErrBadLink
	}
	payload := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(l.sign("link", payload))) {
		return "", 0, ErrBadLink
	}
	score, err1 := strconv.Atoi(parts[1])
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || score < 0 || score > MaxScore || !strings.HasPrefix(parts[0], "sv_") {
		return "", 0, ErrBadLink
	}
	if !now.Before(time.Unix(exp, 0)) {
		return parts[0], score, ErrExpiredLink
	}
	return parts[0], score, nil
}

// csrf is the form token of the survey page opened by token: only a page
// this daemon served can post to it.
func (l *Links) csrf(token string) string { return l.sign("csrf", token) }

// Data is what a surveyed job's email adds to its data (Service.Data):
// the page (survey_url) and one link per score (score_url_1 ... 5).
func (l *Links) data(id string, expires time.Time) map[string]any {
	d := map[string]any{"survey_url": l.Link(id, 0, expires)}
	for s := MinScore; s <= MaxScore; s++ {
		d["score_url_"+strconv.Itoa(s)] = l.Link(id, s, expires)
	}
	return d
}
