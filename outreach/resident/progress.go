package resident

import (
	"io"
	"io/fs"
)

// progressReader reports the bytes read from a file to Options.Progress.
type progressReader struct {
	r           io.Reader
	done, total int64
	report      func(done, total int64)
}

// newProgressReader counts what is read from r. The total is the size of
// r when it tells one (a regular *os.File, a *bytes.Reader), else 0.
func newProgressReader(r io.Reader, report func(done, total int64)) *progressReader {
	p := &progressReader{r: r, report: report}
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			p.total = fi.Size()
		}
	case interface{ Size() int64 }:
		p.total = v.Size()
	}
	return p
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.report(p.done, p.total)
	}
	return n, err
}

// finish reports the end: done is then the total, whatever the size said.
func (p *progressReader) finish() { p.report(p.done, p.done) }
