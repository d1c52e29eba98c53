// Package archive works on the communication archive as a whole: export
// (CSV for spreadsheet programs, JSON lines for programs) and content
// retention. Both go through outreach.Store, so they work on either store.
package archive

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Format is an export format.
type Format string

// Export formats.
const (
	// CSV: a header row, then one row per delivery (RFC 4180: quoted
	// where needed, CRLF line ends), UTF-8.
	CSV Format = "csv"
	// JSONL: one JSON object per line, as `archive search --json` prints.
	JSONL Format = "jsonl"
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case CSV, JSONL:
		return f, nil
	}
	return "", fmt.Errorf("unknown export format %q (want csv or jsonl)", s)
}

// bom is the UTF-8 byte order mark. Excel reads a CSV file as UTF-8 only
// when it starts with one; without it Chinese text comes out garbled.
const bom = "\uFEFF"

// Walker is the part of outreach.Store that Export reads.
type Walker interface {
	Walk(ctx context.Context, f outreach.Filter, fn func(outreach.Delivery) error) error
}

// Options shape an export.
type Options struct {
	Format Format // CSV when empty
	// BOM starts a CSV file with the UTF-8 byte order mark, for Excel.
	BOM bool
}

// Columns are the CSV header, in order. Times are RFC 3339 in UTC; empty
// when not set.
var Columns = []string{
	"created_at", "updated_at", "queued_at", "sent_at",
	"id", "job_id", "campaign", "kind",
	"resident_id", "estate", "building", "unit",
	"channel", "locale", "template", "template_version", "variant",
	"status", "policy", "attempts", "provider_message_id", "error",
	"subject", "body", "segments", "encoding",
	"note", "content_purged_at",
}

// row is d as CSV fields, in Columns order.
func row(d outreach.Delivery) []string {
	return []string{
		timeCell(&d.CreatedAt), timeCell(&d.UpdatedAt), timeCell(d.QueuedAt), timeCell(d.SentAt),
		d.ID, d.JobID, d.Campaign, string(d.Kind),
		d.ResidentID, d.Estate, d.Building, d.Unit,
		string(d.Channel), d.Locale, d.Template, d.TemplateVersion, d.Variant,
		string(d.Status), string(d.Policy), strconv.Itoa(d.Attempts), d.ProviderID, d.Error,
		d.Subject, d.Body, strconv.Itoa(d.Segments), d.Encoding,
		d.Note, timeCell(d.ContentPurgedAt),
	}
}

func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Export writes the deliveries matching f (Limit and After are ignored)
// to w in opt's format and says how many. It reads them with Walk, a page
// at a time, and writes each as it comes, so memory stays flat however
// large the archive: nothing is collected first. Deliveries come oldest
// first, by created_at then id (Walk's order).
func Export(ctx context.Context, w io.Writer, st Walker, f outreach.Filter, opt Options) (n int, err error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	var write func(outreach.Delivery) error
	switch opt.Format {
	case CSV, "":
		if opt.BOM {
			if _, err := buf.WriteString(bom); err != nil {
				return 0, fmt.Errorf("export: %w", err)
			}
		}
		cw := csv.NewWriter(buf)
		cw.UseCRLF = true // RFC 4180, and what spreadsheet programs write
		if err := cw.Write(Columns); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		write = func(d outreach.Delivery) error {
			cells := row(d)
			for i, c := range cells {
				cells[i] = defuse(c)
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
			cw.Flush() // into buf, which writes to w in 64 KiB blocks
			return cw.Error()
		}
	case JSONL:
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		write = func(d outreach.Delivery) error { return enc.Encode(d) }
	default:
		return 0, fmt.Errorf("export: unknown format %q", opt.Format)
	}
	err = st.Walk(ctx, f, func(d outreach.Delivery) error {
		if err := write(d); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := buf.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// defuse keeps a spreadsheet program from running a cell as a formula
// (CSV injection: a reply or note reading "=HYPERLINK(...)"): a cell that
// starts with = + - @ or a tab or carriage return gets a leading
// apostrophe, which the program shows as text. Only CSV does this; JSON
// lines keep the text as it is.
func defuse(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
