package sms

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"

	"github.com/outreach-dev/outreach/outreach"
)

const testSMSSID = "SM0123456789abcdef0123456789abcdef"

func TestParseStatusCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		form    url.Values
		want    outreach.StatusUpdate
		wantErr string
	}{
		{"delivered", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"delivered"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusDelivered}, ""},
		{"sent", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"sent"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusSent}, ""},
		{"accepted is queued", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"accepted"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusQueued}, ""},
		{"undelivered with a known code", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusUndelivered, Error: "twilio error 30003: unreachable destination handset"}, ""},
		{"failed with another code", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"failed"}, "ErrorCode": {"30500"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusFailed, Error: "twilio error 30500"}, ""},
		{"legacy field names", url.Values{"SmsSid": {testSMSSID}, "SmsStatus": {"delivered"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusDelivered}, ""},
		{"a code on delivered is ignored", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"delivered"}, "ErrorCode": {"30008"}},
			outreach.StatusUpdate{ProviderID: testSMSSID, Status: outreach.StatusDelivered}, ""},
		{"no sid", url.Values{"MessageStatus": {"delivered"}}, outreach.StatusUpdate{}, "MessageSid"},
		{"not a sid", url.Values{"MessageSid": {"SM'; DROP TABLE"}, "MessageStatus": {"delivered"}}, outreach.StatusUpdate{}, "MessageSid"},
		{"inbound status", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"received"}}, outreach.StatusUpdate{}, "not a status of an outbound message"},
		{"malformed code", url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"failed"}, "ErrorCode": {"x1"}}, outreach.StatusUpdate{}, "ErrorCode"},
	}
	for _, tt := range tests {
		got, err := ParseStatusCallback(tt.form)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseStatusCallback = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := ParseStatusCallback(url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"receiving"}}); !errors.Is(err, ErrNotOutbound) {
		t.Errorf("receiving: error = %v, want ErrNotOutbound", err)
	}
}

func TestKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want outreach.ReplyAction
	}{
		{"STOP", outreach.ReplyOptOut},
		{"stop", outreach.ReplyOptOut},
		{" Stop! ", outreach.ReplyOptOut},
		{"UNSUBSCRIBE", outreach.ReplyOptOut},
		{"退订", outreach.ReplyOptOut},
		{"退订。", outreach.ReplyOptOut},
		{"TD", outreach.ReplyOptOut},
		{"td", outreach.ReplyOptOut},
		{"T", outreach.ReplyOptOut},
		{"START", outreach.ReplyOptIn},
		{"unstop", outreach.ReplyOptIn},
		{"订阅", outreach.ReplyOptIn},
		{"please don't stop the water", outreach.ReplyNone},
		{"5 非常满意", outreach.ReplyNone},
		{"", outreach.ReplyNone},
		{"STOPPED", outreach.ReplyNone},
	}
	for _, tt := range tests {
		if got := Keyword(tt.body); got != tt.want {
			t.Errorf("Keyword(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestParseInbound(t *testing.T) {
	t.Parallel()
	form := url.Values{"MessageSid": {testSMSSID}, "From": {"+8613800138000"}, "To": {"+15005550006"}, "Body": {"5 很满意"}}
	in, err := ParseInbound(form)
	if err != nil || in.SID != testSMSSID || in.From != "+8613800138000" || in.Body != "5 很满意" || in.Action() != outreach.ReplyNone {
		t.Fatalf("ParseInbound = %+v, %v", in, err)
	}
	form.Set("OptOutType", "stop")
	form.Set("Body", "ARRET") // Twilio knows more languages than Keyword
	if in, err := ParseInbound(form); err != nil || in.Action() != outreach.ReplyOptOut {
		t.Errorf("OptOutType STOP: %+v, %v; want opt_out", in, err)
	}
	for name, bad := range map[string]url.Values{
		"no sid":    {"From": {"+8613800138000"}, "Body": {"hi"}},
		"no from":   {"MessageSid": {testSMSSID}, "Body": {"hi"}},
		"bad UTF-8": {"MessageSid": {testSMSSID}, "From": {"+8613800138000"}, "Body": {"\xff"}},
		"too long":  {"MessageSid": {testSMSSID}, "From": {"+8613800138000"}, "Body": {strings.Repeat("a", maxInboundBody+1)}},
	} {
		if _, err := ParseInbound(bad); err == nil {
			t.Errorf("%s: ParseInbound succeeded, want an error", name)
		}
	}
}

func TestValidator(t *testing.T) {
	t.Parallel()
	const u = "https://outreach.example.com/webhooks/twilio/status"
	form := url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"delivered"}, "AccountSid": {testSID}}
	good := twiliotest.Sign(testToken, u, form)
	v := NewValidator(testToken)
	tampered := url.Values{"MessageSid": {testSMSSID}, "MessageStatus": {"failed"}, "AccountSid": {testSID}}
	tests := []struct {
		name string
		url  string
		form url.Values
		sig  string
		want bool
	}{
		{"valid", u, form, good, true},
		{"valid with the default port spelt out", "https://outreach.example.com:443/webhooks/twilio/status", form, good, true},
		{"tampered parameter", u, tampered, good, false},
		{"other URL", "https://evil.example.com/webhooks/twilio/status", form, good, false},
		{"signed with another token", u, form, twiliotest.Sign("another-token", u, form), false},
		{"no signature", u, form, "", false},
		{"garbage signature", u, form, "not base64 at all", false},
	}
	for _, tt := range tests {
		if got := v.Valid(tt.url, tt.form, tt.sig); got != tt.want {
			t.Errorf("%s: Valid = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseStatusCallback(f *testing.F) {
	f.Add("MessageSid=" + testSMSSID + "&MessageStatus=delivered")
	f.Add("MessageSid=" + testSMSSID + "&MessageStatus=failed&ErrorCode=30003")
	f.Add("SmsSid=x&SmsStatus=%ff")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		u, err := ParseStatusCallback(form)
		if err != nil {
			return
		}
		if !sidPattern.MatchString(u.ProviderID) || !u.Status.Valid() {
			t.Fatalf("ParseStatusCallback(%q) = %+v", raw, u)
		}
	})
}

func FuzzParseInbound(f *testing.F) {
	f.Add("MessageSid=" + testSMSSID + "&From=%2B8613800138000&Body=STOP")
	f.Add("MessageSid=" + testSMSSID + "&From=x&Body=%E9%80%80%E8%AE%A2")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		in, err := ParseInbound(form)
		if err != nil {
			return
		}
		switch in.Action() {
		case outreach.ReplyNone, outreach.ReplyOptIn, outreach.ReplyOptOut:
		default:
			t.Fatalf("Action of %q = %q", raw, in.Action())
		}
	})
}
