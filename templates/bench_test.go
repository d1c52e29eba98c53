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

// BenchmarkRenderEstate renders for an estate (its data in .Estate, the
// contact from its service phone, the signature in front of the SMS), and
// an elderly resident's notice without a number anywhere, which renders
// the elderly variant, fails, and renders the default one.
func BenchmarkRenderEstate(b *testing.B) {
	s := builtinSet(b)
	estate := outreach.Estate{ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0755-11110001", SMSSignature: "【阳光花园物业】"}
	for _, ch := range outreach.AllChannels {
		in := sampleInput(b, s, outreach.KindMaintenanceNotice, "zh-CN", ch)
		delete(in.Data, "contact")
		in.Estate = estate
		b.Run("estate/"+string(ch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Render(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		in.Estate, in.Variant = outreach.Estate{ID: outreach.DefaultEstateID}, VariantElderly
		b.Run("elderly-fallback/"+string(ch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out, err := s.Render(in); err != nil || out.Fallback == "" {
					b.Fatal(out.Fallback, err)
				}
			}
		})
	}
}
