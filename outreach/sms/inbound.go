package sms

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// Inbound is a message a resident sent to our number, as Twilio posts it to
// the inbound webhook.
type Inbound struct {
	SID  string // MessageSid
	From string // the resident's number, E.164
	To   string // our number
	Body string
	// OptOutType is what Twilio's own opt-out handling made of the message
	// (STOP, START, HELP), empty when it did not recognise a keyword.
	OptOutType string
}

// maxInboundBody bounds the text kept of one inbound message; Twilio's own
// limit is 1600 characters.
const maxInboundBody = 4096

// ParseInbound reads the form Twilio posts for an incoming message.
func ParseInbound(form url.Values) (Inbound, error) {
	in := Inbound{
		SID:        form.Get("MessageSid"),
		From:       strings.TrimSpace(form.Get("From")),
		To:         strings.TrimSpace(form.Get("To")),
		Body:       form.Get("Body"),
		OptOutType: strings.ToUpper(strings.TrimSpace(form.Get("OptOutType"))),
	}
	if in.SID == "" {
		in.SID = form.Get("SmsSid")
	}
	switch {
	case !sidPattern.MatchString(in.SID):
		return Inbound{}, errors.New("inbound message without a valid MessageSid")
	case in.From == "":
		return Inbound{}, errors.New("inbound message without From")
	case !utf8.ValidString(in.Body) || !utf8.ValidString(in.From):
		return Inbound{}, errors.New("inbound message is not valid UTF-8")
	case len(in.Body) > maxInboundBody:
		return Inbound{}, errors.New("inbound message body is too long")
	}
	return in, nil
}

// Keywords that opt a resident out of SMS or back in. A message opts out or
// in only when it is the keyword alone (case, spaces and punctuation aside):
// "stop" inside a sentence is an ordinary reply. These are Twilio's
// standard keywords plus those Chinese carriers teach residents ("回复TD退订").
var (
	optOutKeywords = []string{
		"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
		"退订", "TD", "T", "退订短信", "取消订阅",
	}
	optInKeywords = []string{"START", "UNSTOP", "订阅", "恢复订阅"}
)

// Action says what an inbound message asks for: ReplyOptOut, ReplyOptIn, or
// ReplyNone for an ordinary reply. Twilio's own verdict (OptOutType STOP or
// START) counts too: it knows keywords in more languages.
func (in Inbound) Action() outreach.ReplyAction {
	switch in.OptOutType {
	case "STOP":
		return outreach.ReplyOptOut
	case "START":
		return outreach.ReplyOptIn
	}
	return Keyword(in.Body)
}

// Keyword classifies a message body: ReplyOptOut for STOP, UNSUBSCRIBE,
// 退订, TD and the like, ReplyOptIn for START, UNSTOP, 订阅, and ReplyNone
// otherwise.
func Keyword(body string) outreach.ReplyAction {
	word := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, body))
	for _, k := range optOutKeywords {
		if word == k {
			return outreach.ReplyOptOut
		}
	}
	for _, k := range optInKeywords {
		if word == k {
			return outreach.ReplyOptIn
		}
	}
	return outreach.ReplyNone
}
