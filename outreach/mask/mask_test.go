package mask_test

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/mask"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"lisa@example.com", "li***@example.com"},
		{"li@example.com", "l***@example.com"},
		{"张伟伟伟@example.cn", "张伟***@example.cn"},
		{"not-an-address", "***"},
		{"@example.com", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := mask.Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhone(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+8613812345678", "+86138****5678"},
		{"+14155552671", "+1****2671"},
		{"+3531234567", "+353****"},
		{"13812345678", "****5678"},
		{"1234567", "****"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := mask.Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"550 5.1.1 <bounce@example.com>: Recipient address rejected",
			"550 5.1.1 <bo***@example.com>: Recipient address rejected"},
		{"The 'To' number +8613812345678 is not valid.", "The 'To' number +86138****5678 is not valid."},
		{"call 13812345678 now", "call ****5678 now"},
		{"13812345678", "****5678"},
		// Stream entry ids and millisecond timestamps are not phones.
		{"entry 1764454881234-0 dead-lettered", "entry 1764454881234-0 dead-lettered"},
		{"at 17644548812345", "at 17644548812345"},
		{"post https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123 failed",
			"post https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=*** failed"},
		{"https://oapi.dingtalk.com/robot/send?access_token=t0k&timestamp=1&sign=s1g",
			"https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"},
		{"dial smtp://user:hunter2@mail.example.com:587", "dial smtp://***@mail.example.com:587"},
		{"link https://outreach.example.com/unsubscribe/eyJyIjoicjEifQ.c2ln", "link https://outreach.example.com/unsubscribe/***"},
		{"Authorization: Bearer otk_abcdef.123", "Authorization: Bearer ***"},
		{"job wo-1042 sent to r1001 on email", "job wo-1042 sent to r1001 on email"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := mask.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestTextLeavesNothing: whatever surrounds them, the full address, number
// and token never survive.
func TestTextLeavesNothing(t *testing.T) {
	t.Parallel()
	secrets := []string{"olivia.brown@example.com", "+8613800138000", "13800138000", "hunter2", "s3cr3tkey"}
	for _, s := range []string{
		"to olivia.brown@example.com,+8613800138000;13800138000",
		`{"to":"olivia.brown@example.com","phone":"13800138000"}`,
		"smtp://me:hunter2@host?tls=none",
		"https://hooks/send?token=s3cr3tkey",
	} {
		got := mask.Text(s)
		for _, secret := range secrets {
			if strings.Contains(got, secret) {
				t.Errorf("Text(%q) = %q still holds %q", s, got, secret)
			}
		}
	}
}

func BenchmarkTextPlain(b *testing.B) {
	for b.Loop() {
		mask.Text("temporary failure; retry scheduled for job wo-1042-water attempt 2")
	}
}
