package email_test

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach/email"
)

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"lisa@example.com", "li***@example.com"},
		{"li@example.com", "l***@example.com"},
		{"a@example.com", "a***@example.com"},
		{"张伟伟伟@example.cn", "张伟***@example.cn"},
		{"not-an-address", "***"},
		{"@example.com", "***"},
		{"lisa@", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := email.MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
