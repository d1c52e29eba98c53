package templates

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func BenchmarkRender(b *testing.B) {
	s := builtinSet(b)
	for _, loc := range []string{"zh-CN", "en"} {
		for _, ch := range outreach.AllChannels {
			in := sampleInput(b, s, outreach.KindMaintenanceNotice, loc, ch)
			b.Run(loc+"/"+string(ch), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Render(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
