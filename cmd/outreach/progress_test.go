package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressBarThrottles(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(0, 0)}
	var out bytes.Buffer
	bar := startProgressBar(&out, "reading big.csv", unitBytes, clock.now)

	draws := func() int { return strings.Count(out.String(), "\r") }
	bar.Status("writing")
	bar.Update(10, 100)
	if out.Len() > 0 {
		t.Fatalf("drew %q before %v had passed", out.String(), progressDelay)
	}
	clock.advance(progressDelay)
	bar.Update(20, 100)
	if draws() != 1 {
		t.Fatalf("%d draws once the delay passed, want 1", draws())
	}
	// A second of updates every millisecond: at most one draw per interval.
	for range 1000 {
		clock.advance(time.Millisecond)
		bar.Update(30, 100)
	}
	if n := draws(); n < 10 || n > 11 {
		t.Errorf("%d draws in a second of updates, want 10 or 11", n)
	}
	if !strings.HasSuffix(out.String(), "\rreading big.csv  [#######-----------------]  30%  30 of 100 B\033[K") {
		t.Errorf("last draw: %q", out.String()[strings.LastIndex(out.String(), "\r"):])
	}
	// As the import does: erase the bar, print the problems, then say
	// what it writes.
	bar.Done()
	bar.Status("writing 5 residents")
	bar.Done()
	if !strings.HasSuffix(out.String(), "\r\033[K\rwriting 5 residents\033[K\r\033[K") {
		t.Errorf("status then erase: %q", out.String()[strings.LastIndex(out.String(), "writing"):])
	}
	// Erased once; Done again writes nothing.
	n := out.Len()
	bar.Done()
	if out.Len() != n {
		t.Error("Done erased twice")
	}
}

func TestProgressBarNil(t *testing.T) {
	t.Parallel()
	var bar *progressBar // what newProgressBar gives when stderr is no terminal
	bar.Update(1, 2)
	bar.Status("writing")
	bar.Done()

	if bar := newProgressBar(&bytes.Buffer{}, "x", unitRows); bar != nil {
		t.Error("a progress bar on a buffer")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if bar := newProgressBar(f, "x", unitRows); bar != nil {
		t.Error("a progress bar on a regular file")
	}
}

func TestRenderProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		done, total int64
		unit        progressUnit
		want        string
	}{
		{0, 27_000_000, unitBytes, "r  [------------------------]   0%  0.0 of 27.0 MB"},
		{11_600_000, 27_000_000, unitBytes, "r  [##########--------------]  42%  11.6 of 27.0 MB"},
		{27_000_000, 27_000_000, unitBytes, "r  [########################] 100%  27.0 of 27.0 MB"},
		{30_000, 20_000, unitBytes, "r  [########################] 100%  20 of 20 KB"},
		{1234, 80_000, unitRows, "r  [------------------------]   1%  1,234 of 80,000 rows"},
		{1234567, 0, unitRows, "r  1,234,567 rows"},
		{512, 0, unitBytes, "r  512 B"},
	}
	for _, tt := range tests {
		if got := renderProgress("r", tt.done, tt.total, tt.unit); got != tt.want {
			t.Errorf("renderProgress(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}
