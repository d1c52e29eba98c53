package resident

import (
	"os"
	"strings"
	"testing"
)

func FuzzParseCSV(f *testing.F) {
	sample, err := os.ReadFile("testdata/residents.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add(csvFile(true, "\r\n",
		"ID,Name,email,phone,locale,tags,channels,floor,",
		`r1,张伟,zhang@example.com,138 0013 8000,zh_CN,"elderly;new_resident",sms;email,3,`,
		`r1,"李
娜",,+86 139 1234 5678,en,,fax,,x`,
		`r2,"unterminated,0086 137 0000 1234`,
	))
	f.Add([]byte("id,name,phone\nr1,\"a\"b\",1\n,,\n\xff,\xfe,13800138000\n"))
	f.Add([]byte("\uFEFF"))

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseCSV(strings.NewReader(string(data)), Options{})
		if err != nil {
			return
		}
		seen := make(map[string]bool)
		for _, r := range res.Residents {
			if r.ID == "" || r.Name == "" {
				t.Errorf("resident without id or name: %+v", r)
			}
			if seen[r.ID] {
				t.Errorf("id %q returned twice", r.ID)
			}
			seen[r.ID] = true
			if r.Email == "" && r.Phone == "" {
				t.Errorf("resident %q has no contact", r.ID)
			}
			if r.Phone != "" {
				if !isE164(r.Phone) {
					t.Errorf("resident %q phone %q is not E.164", r.ID, r.Phone)
				}
				if again, err := NormalizePhone(r.Phone, ""); err != nil || again != r.Phone {
					t.Errorf("resident %q phone %q does not normalize to itself: %q, %v", r.ID, r.Phone, again, err)
				}
			}
			for _, c := range r.Channels {
				if !c.Valid() {
					t.Errorf("resident %q has channel %q", r.ID, c)
				}
			}
		}
		lines := make(map[int]bool)
		for _, e := range res.Errors {
			if e.Line < 2 {
				t.Errorf("row error on line %d, before the first data line", e.Line)
			}
			lines[e.Line] = true
		}
		if res.Rows != len(res.Residents)+len(lines) {
			t.Errorf("Rows = %d, want %d residents + %d bad rows", res.Rows, len(res.Residents), len(lines))
		}
	})
}

// isE164 reports whether s is "+" and 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return false
	}
	return onlyDigits(d) == d
}
