package archive_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

var base = time.Date(2026, 2, 16, 9, 0, 0, 0, time.UTC)

// openStore is a fresh in-memory archive holding three deliveries, two of
// them in Chinese.
func openStore(t *testing.T) outreach.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sent := base.Add(time.Second)
	ds := []outreach.Delivery{
		{ID: "d1", JobID: "spring-2026", ResidentID: "r1", Estate: "default", Building: "3", Unit: "1201", Kind: outreach.KindHolidayGreeting,
			Channel: outreach.ChannelEmail, Locale: "zh-CN", Subject: "新春快乐", Body: "王秀英您好：\n祝您新春快乐，阖家幸福！",
			Status: outreach.StatusSent, ProviderID: "<d1@outreach>", Attempts: 1, Campaign: "spring", CreatedAt: base, SentAt: &sent},
		{ID: "d2", JobID: "spring-2026", ResidentID: "r2", Building: "3", Unit: "0801", Kind: outreach.KindHolidayGreeting,
			Channel: outreach.ChannelSMS, Locale: "zh-CN", Body: `李先生，"春节"期间物业服务时间调整，详询前台。`,
			Status: outreach.StatusFailed, Error: "twilio error 21610", Attempts: 1, Campaign: "spring", CreatedAt: base.Add(time.Minute)},
		{ID: "d3", JobID: "water-7", ResidentID: "r3", Kind: outreach.KindMaintenanceNotice,
			Channel: outreach.ChannelEmail, Locale: "en", Subject: "Water off", Body: "=HYPERLINK(\"http://x\")",
			Status: outreach.StatusSent, Attempts: 2, CreatedAt: base.Add(48 * time.Hour)},
	}
	if err := s.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetNote(t.Context(), outreach.Filter{DeliveryID: "d2"}, "已电话回访，问题已解决"); err != nil {
		t.Fatal(err)
	}
	return s
}

// walkOnly lets Export use Walk and nothing else, and counts the calls.
type walkOnly struct {
	outreach.Store
	walks int
}

func (w *walkOnly) Walk(ctx context.Context, f outreach.Filter, fn func(outreach.Delivery) error) error {
	w.walks++
	return w.Store.Walk(ctx, f, fn)
}

func (w *walkOnly) Search(context.Context, outreach.Filter) ([]outreach.Delivery, error) {
	return nil, errors.New("export must stream with Walk, not load a Search result")
}

// TestExportCSVChinese is the test: the export opens as CSV with
// Chinese text intact, and starts with the BOM exactly when asked.
func TestExportCSVChinese(t *testing.T) {
	t.Parallel()
	st := &walkOnly{Store: openStore(t)}
	for _, withBOM := range []bool{false, true} {
		var out bytes.Buffer
		n, err := archive.Export(t.Context(), &out, st, outreach.Filter{Campaign: "spring"}, archive.Options{Format: archive.CSV, BOM: withBOM})
		if err != nil || n != 2 {
			t.Fatalf("Export(bom %v) = %d, %v; want 2 deliveries", withBOM, n, err)
		}
		data := out.Bytes()
		if got := bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}); got != withBOM {
			t.Errorf("bom %v: output starts with the UTF-8 BOM: %v", withBOM, got)
		}
		if !bytes.Contains(data, []byte("\r\n")) {
			t.Errorf("bom %v: rows do not end in CRLF (RFC 4180)", withBOM)
		}
		records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF}))).ReadAll()
		if err != nil {
			t.Fatalf("bom %v: reading the export back as CSV: %v", withBOM, err)
		}
		if len(records) != 3 || !slices.Equal(records[0], archive.Columns) {
			t.Fatalf("bom %v: %d records, header %q; want the header and 2 rows", withBOM, len(records), records[0])
		}
		col := func(rec []string, name string) string { return rec[slices.Index(archive.Columns, name)] }
		d1, d2 := records[1], records[2]
		for _, c := range []struct{ got, want string }{
			{col(d1, "id"), "d1"},
			{col(d1, "subject"), "新春快乐"},
			{col(d1, "body"), "王秀英您好：\n祝您新春快乐，阖家幸福！"},
			{col(d1, "estate") + "/" + col(d1, "building") + "/" + col(d1, "unit"), "default/3/1201"},
			{col(d1, "created_at"), "2026-02-16T09:00:00Z"},
			{col(d1, "sent_at"), "2026-02-16T09:00:01Z"},
			{col(d2, "body"), `李先生，"春节"期间物业服务时间调整，详询前台。`},
			{col(d2, "note"), "已电话回访，问题已解决"},
			{col(d2, "error"), "twilio error 21610"},
			{col(d2, "sent_at"), ""},
			{col(d2, "status"), "failed"},
		} {
			if c.got != c.want {
				t.Errorf("bom %v: cell = %q, want %q", withBOM, c.got, c.want)
			}
		}
	}
	if st.walks != 2 {
		t.Errorf("Export walked %d times for 2 exports, want 2", st.walks)
	}
}

// TestExportDefusesFormulas: a cell a spreadsheet would run as a formula
// is written as text.
func TestExportDefusesFormulas(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if _, err := archive.Export(t.Context(), &out, openStore(t), outreach.Filter{JobID: "water-7"}, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("read back: %d records, %v", len(records), err)
	}
	if got := records[1][slices.Index(archive.Columns, "body")]; got != `'=HYPERLINK("http://x")` {
		t.Errorf("body = %q, want it prefixed with an apostrophe", got)
	}
}

// TestExportJSONLines: one delivery per line, the note and address
// included, filtered by time.
func TestExportJSONLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	n, err := archive.Export(t.Context(), &out, openStore(t), outreach.Filter{Since: base, Until: base.Add(time.Hour)},
		archive.Options{Format: archive.JSONL, BOM: true})
	if err != nil || n != 2 {
		t.Fatalf("Export = %d, %v; want 2", n, err)
	}
	if bytes.HasPrefix(out.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Error("JSON lines start with a BOM; it is for CSV only")
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var got []outreach.Delivery
	for _, l := range lines {
		var d outreach.Delivery
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, d)
	}
	if len(got) != 2 || got[1].Note != "已电话回访，问题已解决" || got[0].Building != "3" || got[0].Unit != "1201" {
		t.Errorf("exported %+v, want d1 and d2 with building, unit and note", got)
	}
	if !strings.Contains(lines[0], `"building":"3"`) || !strings.Contains(lines[1], `"note":"已电话回访`) {
		t.Errorf("lines lack building or note: %q", lines)
	}
}

// endless yields n generated deliveries, one at a time, as Walk does.
type endless struct {
	n       int
	written func() int // bytes the export has written so far
	// wroteEarly is set when, half-way through, output was already written.
	wroteEarly bool
}

func (e *endless) Walk(_ context.Context, _ outreach.Filter, fn func(outreach.Delivery) error) error {
	for i := range e.n {
		if i == e.n/2 {
			e.wroteEarly = e.written() > 0
		}
		d := outreach.Delivery{ID: fmt.Sprintf("d%07d", i), JobID: "bulk", ResidentID: "r", Kind: outreach.KindHolidayGreeting,
			Status: outreach.StatusSent, Body: strings.Repeat("新春快乐，阖家幸福！", 20), CreatedAt: base}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// TestExportStreams: a large export writes rows while the walk is still
// going, instead of collecting them first; the whole export is never in
// memory at once (the writer discards what it gets).
func TestExportStreams(t *testing.T) {
	t.Parallel()
	for _, format := range []archive.Format{archive.CSV, archive.JSONL} {
		w := &countingWriter{}
		src := &endless{n: 20000, written: func() int { return w.n }}
		n, err := archive.Export(t.Context(), w, src, outreach.Filter{}, archive.Options{Format: format})
		if err != nil || n != src.n {
			t.Fatalf("%s: Export = %d, %v; want %d", format, n, err, src.n)
		}
		if !src.wroteEarly {
			t.Errorf("%s: nothing was written half-way through the walk: the export is held in memory", format)
		}
		if w.n < src.n*400 {
			t.Errorf("%s: wrote %d bytes for %d deliveries of 600 bytes of text each", format, w.n, src.n)
		}
	}
}

// TestExportWriteError: a failing writer stops the walk with its error.
func TestExportWriteError(t *testing.T) {
	t.Parallel()
	_, err := archive.Export(t.Context(), failingWriter{}, &endless{n: 100000, written: func() int { return 0 }}, outreach.Filter{}, archive.Options{})
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Export to a closed pipe = %v, want io.ErrClosedPipe", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]archive.Format{"csv": archive.CSV, "CSV": archive.CSV, "jsonl": archive.JSONL} {
		if got, err := archive.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := archive.ParseFormat("xlsx"); err == nil {
		t.Error("ParseFormat(xlsx) succeeded")
	}
}
