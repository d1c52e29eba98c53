package resident

import "testing"

func TestValidEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"li.wei@example.com", true},
		{"Zhang.San+outreach@mail.example.cn", true},
		{"a_b-c@sub.domain.org", true},
		{"王芳@例子.中国", true},

		{"", false},
		{"li.wei", false},
		{"@example.com", false},
		{"li.wei@", false},
		{"li.wei@localhost", false},
		{"li.wei@[192.0.2.1]", false},
		{"li wei@example.com", false},
		{"li.wei@@example.com", false},
		{"li.wei@example..com", false},
		{" li.wei@example.com", false},
		{"li.wei@example.com ", false},
		{"Li Wei <li.wei@example.com>", false},
		{"<li.wei@example.com>", false},
		{"li.wei@example.com (home)", false},
		{"li.wei@example.com, bob@example.com", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.in); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
