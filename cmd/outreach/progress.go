package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressUnit is what a progressBar counts.
type progressUnit int

const (
	unitBytes progressUnit = iota
	unitRows
)

// Timing of a progressBar: nothing in the first moments, so that small
// files, which are done by then, print nothing; then a redraw at most
// every interval, which is plenty for the eye and costs nothing.
const (
	progressDelay    = 500 * time.Millisecond
	progressInterval = 100 * time.Millisecond
	progressWidth    = 24 // characters of the bar itself
)

// progressBar shows how far a long import has come, on one terminal line:
//
//	reading residents.csv  [##########--------------]  43%  11.6 of 27.0 MB
//
// It is redrawn in place with a carriage return and erased by Done. A nil
// *progressBar does nothing: newProgressBar returns nil when w is not a
// terminal, so that logs and pipes get no control characters.
type progressBar struct {
	w     io.Writer
	label string
	unit  progressUnit
	now   func() time.Time
	next  time.Time // no drawing before then
	drawn bool      // whether a line is on the screen
	shown bool      // whether a line was ever on the screen
}

// newProgressBar returns a bar on w, or nil when w is not a terminal.
func newProgressBar(w io.Writer, label string, unit progressUnit) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return startProgressBar(w, label, unit, time.Now)
}

// startProgressBar returns a bar on w whatever w is, with the clock now.
func startProgressBar(w io.Writer, label string, unit progressUnit, now func() time.Time) *progressBar {
	return &progressBar{w: w, label: label, unit: unit, now: now, next: now().Add(progressDelay)}
}

// Update records that done of total units are through (total 0: unknown),
// and redraws the line when it is time to.
func (b *progressBar) Update(done, total int64) {
	if b == nil {
		return
	}
	t := b.now()
	if t.Before(b.next) {
		return
	}
	b.next = t.Add(progressInterval)
	b.draw(renderProgress(b.label, done, total, b.unit))
}

// Status replaces the bar with a line of text, such as "writing 80,000
// residents", when the bar has been shown: a short import shows nothing.
func (b *progressBar) Status(text string) {
	if b == nil || !b.shown {
		return
	}
	b.draw(text)
}

// Done erases the line, so that what is printed next starts clean.
func (b *progressBar) Done() {
	if b == nil || !b.drawn {
		return
	}
	fmt.Fprint(b.w, "\r\033[K")
	b.drawn = false
}

func (b *progressBar) draw(line string) {
	fmt.Fprint(b.w, "\r"+line+"\033[K")
	b.drawn, b.shown = true, true
}

// renderProgress is one state of the bar, without the control characters.
func renderProgress(label string, done, total int64, unit progressUnit) string {
	if total <= 0 {
		return fmt.Sprintf("%s  %s", label, amount(done, unit))
	}
	done = min(done, total)
	filled := int(done * progressWidth / total)
	return fmt.Sprintf("%s  [%s%s] %3d%%  %s of %s", label,
		strings.Repeat("#", filled), strings.Repeat("-", progressWidth-filled),
		done*100/total, amountValue(done, total, unit), amount(total, unit))
}

// amount writes n units for people: "27.0 MB", "512 KB", "12,345 rows".
func amount(n int64, unit progressUnit) string {
	if unit == unitRows {
		return thousands(n) + " rows"
	}
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%d KB", n/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// amountValue writes n in the scale of total, without the unit: the
// "11.6" of "11.6 of 27.0 MB".
func amountValue(n, total int64, unit progressUnit) string {
	if unit == unitRows {
		return thousands(n)
	}
	switch {
	case total >= 1e6:
		return fmt.Sprintf("%.1f", float64(n)/1e6)
	case total >= 1e3:
		return fmt.Sprintf("%d", n/1e3)
	}
	return fmt.Sprintf("%d", n)
}

// thousands writes n with commas: 12345 is "12,345".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
