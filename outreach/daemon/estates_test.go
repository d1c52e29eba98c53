package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// twoEstates are estates with identities of their own.
var twoEstates = []outreach.Estate{
	{ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0755-11110001", SMSSignature: "【阳光花园物业】",
		EmailFromName: "阳光花园物业服务中心", ReplyTo: "service@sunshine.example.com"},
	{ID: "lakeside", Name: "Lakeside Court", Company: "Acme Homes", ServicePhone: "0755-22220002", SMSSignature: "【湖畔物业】"},
}

func (h *harness) createEstates(es ...outreach.Estate) {
	h.t.Helper()
	for _, e := range es {
		if err := h.d.Store.CreateEstate(context.Background(), e); err != nil {
			h.t.Fatalf("CreateEstate %s: %v", e.ID, err)
		}
	}
}

// header reads the header of a message the SMTP server received.
func header(t *testing.T, data []byte) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read received message: %v", err)
	}
	return m.Header
}

// TestEstatesSpeakForThemselves is the first "done when": two
// estates with different names and phones each get messages signed with
// their own identity: the email's From name, Reply-To and List-Id, the
// SMS signature, and the number to call in the body (the job gives none).
func TestEstatesSpeakForThemselves(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, func(c *config.Config, _ *dispatch.Config) { withPublicURL(c) })
			h.createEstates(twoEstates...)
			h.upsert(
				outreach.Resident{ID: "s-mail", Name: "王秀英", Estate: "sunshine", Email: "s-mail@example.com", Locale: "zh-CN", Building: "3"},
				outreach.Resident{ID: "s-sms", Name: "张伟", Estate: "sunshine", Phone: "+8613800138101", Locale: "zh-CN", Building: "3"},
				outreach.Resident{ID: "l-mail", Name: "Emily Carter", Estate: "lakeside", Email: "l-mail@example.com", Locale: "en", Building: "3"},
				outreach.Resident{ID: "l-sms", Name: "David Chen", Estate: "lakeside", Phone: "+8613800138102", Locale: "en", Building: "3"},
			)
			h.start()
			// A holiday greeting is bulk: it carries List-Unsubscribe, and
			// so the estate's List-Id.
			for _, e := range twoEstates {
				h.xadd("job", `{"id":"greet-`+e.ID+`","kind":"holiday_greeting","audience":{"estate":"`+e.ID+`","building":"3"},"data":{"holiday":"春节"}}`)
			}
			eventually(t, "both greetings settled", func() bool {
				return h.settled() && len(h.search(outreach.Filter{Status: outreach.StatusSent}))+len(h.search(outreach.Filter{Status: outreach.StatusQueued})) == 4
			})
			if got := h.deadReasons(); len(got) != 0 {
				t.Fatalf("dead letters %v", got)
			}

			dec := new(mime.WordDecoder)
			for _, tt := range []struct {
				to, fromName, replyTo, listID, phone, other string
			}{
				{"s-mail@example.com", "阳光花园物业服务中心", "service@sunshine.example.com", "阳光花园 <sunshine.estates.example.com>", "0755-11110001", "0755-22220002"},
				{"l-mail@example.com", "Acme Homes Lakeside Court", "", "Lakeside Court <lakeside.estates.example.com>", "0755-22220002", "0755-11110001"},
			} {
				got := received(h.smtp, tt.to)
				if len(got) != 1 {
					t.Fatalf("%s got %d emails, want 1", tt.to, len(got))
				}
				hd := header(t, got[0].Data)
				from, err := hd.AddressList("From")
				if err != nil || len(from) != 1 || from[0].Name != tt.fromName || from[0].Address != "office@example.com" {
					t.Errorf("%s: From %v (%v), want %q <office@example.com>", tt.to, from, err, tt.fromName)
				}
				if rt := hd.Get("Reply-To"); (tt.replyTo == "") != (rt == "") || !strings.Contains(rt, tt.replyTo) {
					t.Errorf("%s: Reply-To %q, want %q", tt.to, rt, tt.replyTo)
				}
				if id, err := dec.DecodeHeader(hd.Get("List-Id")); err != nil || id != tt.listID {
					t.Errorf("%s: List-Id %q (%v), want %q", tt.to, id, err, tt.listID)
				}
				if hd.Get("List-Unsubscribe") == "" {
					t.Errorf("%s: no List-Unsubscribe", tt.to)
				}
				if mid := hd.Get("Message-Id"); !strings.HasSuffix(mid, "@example.com>") {
					t.Errorf("%s: Message-ID %q, want the sender's domain", tt.to, mid)
				}
			}
			for _, tt := range []struct{ id, to, signature, phone, other string }{
				{"s-sms", "+8613800138101", "【阳光花园物业】", "0755-11110001", "0755-22220002"},
				{"l-sms", "+8613800138102", "【湖畔物业】", "0755-22220002", "0755-11110001"},
			} {
				_, bodies := h.smsTo(tt.to)
				if len(bodies) != 1 || !strings.HasPrefix(bodies[0], tt.signature) || strings.Count(bodies[0], "【") != 1 {
					t.Fatalf("%s got %q, want one SMS starting with %s", tt.to, bodies, tt.signature)
				}
				rec := h.search(outreach.Filter{ResidentID: tt.id})
				if len(rec) != 1 || rec[0].Body != bodies[0] || rec[0].Segments < 1 || rec[0].Estate == "" {
					t.Errorf("%s: archived %+v, want the body sent (with its signature) and its segments", tt.id, rec)
				}
			}
			// The number to call is the estate's own, in every message.
			for _, rec := range h.search(outreach.Filter{Kind: outreach.KindHolidayGreeting}) {
				own, other := "0755-11110001", "0755-22220002"
				if rec.Estate == "lakeside" {
					own, other = other, own
				}
				if rec.Channel == outreach.ChannelEmail && (!strings.Contains(rec.Body, own) || strings.Contains(rec.Body, other)) {
					t.Errorf("%s (%s): body without its estate's number %s:\n%s", rec.ResidentID, rec.Estate, own, rec.Body)
				}
			}
		})
	}
}

// TestNoResidentMissesTheNotice is the second "done when": a
// maintenance notice without "contact" reaches every resident of building
// 3, the elderly one included. In an estate with a service phone the
// elderly resident gets the elderly variant with that phone; in the
// default estate of a fresh install (no phone) the default variant, with
// the fallback archived and counted. One resident's temporary SMTP
// failure is retried without sending the others twice.
func TestNoResidentMissesTheNotice(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, nil)
			h.createEstates(twoEstates[0])
			h.upsert(
				outreach.Resident{ID: "d3-old", Name: "王秀英", Email: "d3-old@example.com", Locale: "zh-CN", Building: "3", Tags: []string{"elderly"}},
				outreach.Resident{ID: "d3-plain", Name: "李明", Email: "d3-plain@example.com", Locale: "zh-CN", Building: "3"},
				outreach.Resident{ID: "d3-new", Name: "Emily Carter", Email: "d3-new@example.com", Locale: "en", Building: "3", Tags: []string{"new_resident"}},
				outreach.Resident{ID: "s3-old", Name: "陈桂兰", Estate: "sunshine", Phone: "+8613800138201", Locale: "zh-CN", Building: "3", Tags: []string{"elderly"}},
				outreach.Resident{ID: "s3-plain", Name: "赵磊", Estate: "sunshine", Email: "s3-plain@example.com", Locale: "zh-CN", Building: "3"},
			)
			h.smtp.ReplyTimes("d3-new@example.com", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, 1)
			h.start()
			const data = `"data":{"title":"计划停水","area":"3号楼","start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00"}`
			h.xadd("job", `{"id":"b3-default","kind":"maintenance_notice","audience":{"estate":"default","building":"3"},`+data+`}`)
			h.xadd("job", `{"id":"b3-sunshine","kind":"maintenance_notice","audience":{"estate":"sunshine","building":"3"},`+data+`}`)
			eventually(t, "both notices settled", func() bool {
				return h.settled() && len(h.search(outreach.Filter{Status: outreach.StatusSent}))+len(h.search(outreach.Filter{Status: outreach.StatusQueued})) == 5
			})
			if got := h.deadReasons(); len(got) != 0 {
				t.Errorf("dead letters %v, want none: every resident got the notice", got)
			}
			byResident := map[string]outreach.Delivery{}
			for _, rec := range h.search(outreach.Filter{Kind: outreach.KindMaintenanceNotice}) {
				byResident[rec.ResidentID] = rec
			}
			for _, tt := range []struct {
				id, estate, variant, fallback, text string
				attempts                            int
			}{
				{"d3-old", "default", "default", "variant elderly: missing contact", "如有疑问，请随时联系物业服务中心。", 1},
				{"d3-plain", "default", "default", "", "物业服务中心将进行以下工作", 1},
				{"d3-new", "default", "new_resident", "", "Welcome to the neighbourhood!", 2},
				{"s3-old", "sunshine", "elderly", "", "有事请打0755-11110001", 1},
				{"s3-plain", "sunshine", "default", "", "如有疑问，请致电阳光花园物业服务中心：0755-11110001。", 1},
			} {
				rec := byResident[tt.id]
				if !rec.Status.Accepted() || rec.Estate != tt.estate || rec.Variant != tt.variant || rec.Fallback != tt.fallback ||
					rec.Attempts != tt.attempts || !strings.Contains(rec.Body, tt.text) {
					t.Errorf("%s: archived %s estate %q variant %q fallback %q attempts %d:\n%s\nwant estate %q variant %q fallback %q attempts %d with %q",
						tt.id, rec.Status, rec.Estate, rec.Variant, rec.Fallback, rec.Attempts, rec.Body, tt.estate, tt.variant, tt.fallback, tt.attempts, tt.text)
				}
			}
			if n := len(received(h.smtp, "d3-plain@example.com")); n != 1 {
				t.Errorf("d3-plain got %d emails, want 1 (not again on the retry)", n)
			}
			fallbacks := h.d.Metrics().TemplateFallbacks.WithLabelValues(string(outreach.KindMaintenanceNotice), "elderly", "missing_variable")
			if got := testutil.ToFloat64(fallbacks); got != 1 {
				t.Errorf("outreach_template_fallbacks_total{maintenance_notice,elderly,missing_variable} = %v, want 1", got)
			}
		})
	}
}

// TestKindsOwnNeedsStillFail: what the kind needs (a maintenance notice's
// time window) still fails the job naming it, whatever the variant.
func TestKindsOwnNeedsStillFail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", nil)
	h.upsert(outreach.Resident{ID: "k-old", Name: "王秀英", Email: "k-old@example.com", Locale: "zh-CN", Tags: []string{"elderly"}})
	h.start()
	h.xadd("job", `{"id":"k-no-start","kind":"maintenance_notice","resident_id":"k-old","data":{"title":"计划停水","area":"3号楼"}}`)
	eventually(t, "the job dead-lettered", func() bool { return h.settled() && len(h.deadReasons()) == 1 })
	if got := h.deadReasons(); got[0] != "template_error" {
		t.Errorf("dead-letter reasons %v, want template_error", got)
	}
	if rec := h.search(outreach.Filter{JobID: "k-no-start"}); len(rec) != 1 || !strings.Contains(rec[0].Error, `missing variable "start"`) {
		t.Errorf("archived %+v, want failed naming start", rec)
	}
}

// TestUnknownEstateIsDeadLettered: a job whose inline resident or audience
// names an estate that does not exist is dead-lettered unknown_estate, and
// nothing is sent or written to the directory.
func TestUnknownEstateIsDeadLettered(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, url, nil)
			h.upsert(outreach.Resident{ID: "u-1", Name: "李明", Email: "u-1@example.com", Locale: "zh-CN", Building: "3"})
			h.start()
			h.xadd("job", `{"id":"u-inline","kind":"holiday_greeting","resident":{"id":"ext-9","name":"赵磊","estate":"nowhere","email":"ext-9@example.com"},"data":{"holiday":"春节"}}`)
			h.xadd("job", `{"id":"u-audience","kind":"holiday_greeting","audience":{"estate":"nowhere","building":"3"},"data":{"holiday":"春节"}}`)
			eventually(t, "both jobs dead-lettered", func() bool { return h.settled() && len(h.deadReasons()) == 2 })
			if got := h.deadReasons(); got[0] != "unknown_estate" || got[1] != "unknown_estate" {
				t.Errorf("dead-letter reasons %v, want unknown_estate twice", got)
			}
			if n := len(h.smtp.Messages()); n != 0 {
				t.Errorf("%d emails sent, want none", n)
			}
			if _, err := h.d.Store.Resident(context.Background(), "ext-9"); err == nil {
				t.Errorf("the inline resident of an unknown estate is in the directory")
			}
			if got := testutil.ToFloat64(h.d.Metrics().DeadLetters.WithLabelValues("unknown_estate")); got != 2 {
				t.Errorf("outreach_dead_letters_total{unknown_estate} = %v, want 2", got)
			}
		})
	}
}

// TestEstateQuietHoursAndZone: quiet hours are the estate's own when it
// has them, else the daemon's, and are kept in the resident's zone, else
// the estate's, else the daemon's. At 23:00 in Shanghai (the daemon's
// zone, quiet 21:00-08:00) a greeting waits for a resident of the default
// estate and for a London estate's resident who lives by Shanghai time,
// but goes to the London estate's other resident (15:00 there) and to an
// estate whose quiet hours start at 23:30.
func TestEstateQuietHoursAndZone(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Date(2027, 2, 16, 23, 0, 0, 0, shanghai))
			h := newHarness(t, url, withPolicy("21:00-08:00", 0, clock))
			h.createEstates(
				outreach.Estate{ID: "london", Name: "Thames Court", TimeZone: "Europe/London"},
				outreach.Estate{ID: "late", Name: "夜猫花园", QuietHours: "23:30-07:00"},
			)
			h.upsert(
				outreach.Resident{ID: "q-default", Name: "李明", Email: "q-default@example.com", Locale: "zh-CN"},
				outreach.Resident{ID: "q-london", Name: "Emily Carter", Estate: "london", Email: "q-london@example.com", Locale: "en"},
				outreach.Resident{ID: "q-london-sh", Name: "David Chen", Estate: "london", Email: "q-london-sh@example.com", Locale: "en", TimeZone: "Asia/Shanghai"},
				outreach.Resident{ID: "q-late", Name: "赵磊", Estate: "late", Email: "q-late@example.com", Locale: "zh-CN"},
			)
			h.start()
			for _, id := range []string{"q-default", "q-london", "q-london-sh", "q-late"} {
				h.xadd("job", fmt.Sprintf(greeting, "greet-"+id, id, ""))
			}
			want := map[string]outreach.Status{
				"greet-q-default": outreach.StatusDeferred, "greet-q-london-sh": outreach.StatusDeferred,
				"greet-q-london": outreach.StatusSent, "greet-q-late": outreach.StatusSent,
			}
			eventually(t, "two greetings sent, two deferred", func() bool {
				for job, st := range want {
					if !h.has(job, st) {
						return false
					}
				}
				return true
			})
			if rec := h.only("greet-q-london"); !strings.Contains(rec.Body, "Thames Court") {
				t.Errorf("London greeting does not speak for its estate:\n%s", rec.Body)
			}
			if rec := h.only("greet-q-default"); !strings.Contains(rec.Error, "Asia/Shanghai") {
				t.Errorf("default estate's greeting deferred as %q, want quiet hours in Asia/Shanghai", rec.Error)
			}
		})
	}
}
