package webhook

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// maxBytes is each provider's limit on the text of one message: WeCom 2048
// bytes of text content, DingTalk 20000, Slack 40000 characters (counted
// here in bytes, which is stricter).
var maxBytes = map[outreach.Channel]int{
	outreach.ChannelWeCom:    2048,
	outreach.ChannelDingTalk: 20000,
	outreach.ChannelSlack:    40000,
}

// content is the text of m as one chat message: the subject, a blank line,
// the text.
func content(m outreach.Message) string {
	subject, text := strings.TrimSpace(m.Subject), strings.TrimSpace(m.Text)
	if subject == "" {
		return text
	}
	if text == "" {
		return subject
	}
	return subject + "\n\n" + text
}

// textPayload is the body of WeCom and DingTalk text messages.
type textPayload struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
}

// payload is the JSON body that posts text to ch's robot.
func payload(ch outreach.Channel, text string) ([]byte, error) {
	if ch == outreach.ChannelSlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{slackEscape(text)})
	}
	p := textPayload{MsgType: "text"}
	p.Text.Content = text
	return json.Marshal(p)
}

// slackEscape escapes the three characters Slack reads as markup
// (<!channel>, <@U123>, <https://...|label>), as Slack's docs ask.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// tooLong reports whether text exceeds ch's limit.
func tooLong(ch outreach.Channel, text string) bool {
	return len(text) > maxBytes[ch] || !utf8.ValidString(text)
}
