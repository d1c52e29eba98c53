package sms

import "testing"

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"+8613812345678", "+86138****5678"},
		{"+14155552671", "+1****2671"},
		{"+447911123456", "+44****3456"},
		{"+85291234567", "+852****4567"},
		{"+3531234567", "+353****"}, // short national number: only the country code
		{"+123", "+1****"},
		{"+999123456789", "****6789"},     // 999 is no calling code
		{"13812345678", "****5678"},       // national form
		{"1234567", "****"},               // short and not E.164
		{"WuyeNotice", "****tice"},        // not a number at all
		{"+86 138 1234 5678", "****5678"}, // not E.164
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"The 'To' number +8613812345678 is not valid.", "The 'To' number +86138****5678 is not valid."},
		{"Invalid 'To' Phone Number: 861381234XXXX", "Invalid 'To' Phone Number: ****1234XXXX"},
		{"error 21610 at 12:00", "error 21610 at 12:00"},
	}
	for _, tt := range tests {
		if got := maskPhones(tt.in); got != tt.want {
			t.Errorf("maskPhones(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
