package resident

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkParseCSV reads a 10,000-row file; phone parsing dominates.
func BenchmarkParseCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id,name,email,phone,locale,building,unit,tags,channels,floor\r\n")
	for i := range 10000 {
		fmt.Fprintf(&buf, "r-%d,张伟%d,user%d@example.com,138 %04d %04d,zh-CN,%d,%d,elderly,sms;email,%d\r\n",
			i, i, i, i%10000, (i*7)%10000, i%3+1, i%200, i%30)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := ParseCSV(bytes.NewReader(data), Options{})
		if err != nil || len(res.Errors) > 0 {
			b.Fatalf("ParseCSV: %v, %d row errors", err, len(res.Errors))
		}
	}
}
