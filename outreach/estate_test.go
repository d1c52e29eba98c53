package outreach

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckSMSSignature(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "【阳光花园物业】", "【万科】", "【Harbour View】"} {
		if err := CheckSMSSignature(ok); err != nil {
			t.Errorf("CheckSMSSignature(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"阳光花园物业", "[阳光]", "【】", "【阳】", "【阳光花园物业", "阳光花园物业】", "【阳光】【花园】", "【一二三四五六七八九十一二三四五六七】"} {
		if err := CheckSMSSignature(bad); err == nil || !strings.Contains(err.Error(), "sms_signature") {
			t.Errorf("CheckSMSSignature(%q) = %v, want an error naming sms_signature", bad, err)
		}
	}
}

func TestEstateCheck(t *testing.T) {
	t.Parallel()
	e := Estate{ID: "Bad Id", SMSSignature: "x", ReplyTo: "nobody"}
	err := e.Check(nil, nil)
	for _, field := range []string{"estate id", "name", "sms_signature", "reply_to"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Check of %+v = %v, want it to name %s", e, err, field)
		}
	}
	if err := (Estate{ID: DefaultEstateID}).Check(nil, nil); err != nil {
		t.Errorf("the default estate needs no name: %v", err)
	}
	if got := (Estate{Name: "阳光花园", Company: "万科物业"}).DisplayName(); got != "万科物业 阳光花园" {
		t.Errorf("DisplayName = %q", got)
	}
}

// FuzzCheckSMSSignature: any text is accepted or refused, never a panic;
// what is accepted is empty or 【2-16 characters】.
func FuzzCheckSMSSignature(f *testing.F) {
	for _, s := range []string{"", "【阳光花园物业】", "【】", "【", "】", "【【x】】", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckSMSSignature(s) != nil || s == "" {
			return
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(s, "【"), "】")
		if !strings.HasPrefix(s, "【") || !strings.HasSuffix(s, "】") || utf8.RuneCountInString(strings.TrimSpace(inner)) < 2 {
			t.Errorf("CheckSMSSignature accepted %q", s)
		}
	})
}
