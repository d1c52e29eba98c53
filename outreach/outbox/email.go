package outbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
)

// emailSender writes emails as .eml files.
type emailSender struct{ o *Outbox }

func (s *emailSender) Channel() outreach.Channel { return outreach.ChannelEmail }

func (s *emailSender) Close() error { return nil }

// Send writes m to <time>-<job>-<delivery[:8]>.eml. An invalid message
// fails as the SMTP channel would fail it (a permanent SendError).
func (s *emailSender) Send(ctx context.Context, m outreach.Message) (outreach.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return outreach.Receipt{}, fmt.Errorf("write email to outbox: %w", err)
	}
	now := s.o.now().UTC()
	msg, err := email.Compose(s.o.from, m, now)
	if err != nil {
		return outreach.Receipt{}, err
	}
	name := fmt.Sprintf("%s-%s-%s.eml", now.Format(stamp), safeName(m.JobID, 64, "job"), safeName(m.DeliveryID, 8, "delivery"))
	if err := writeAtomic(s.o.dir, name, msg.WriteTo); err != nil {
		return outreach.Receipt{}, fmt.Errorf("write email to outbox: %w", err)
	}
	return outreach.Receipt{ProviderID: "outbox:" + name, Status: outreach.StatusSent}, nil
}

// writeAtomic writes dir/name through a hidden temporary file in dir and a
// rename, so that the file appears complete or not at all.
func writeAtomic(dir, name string, write func(io.Writer) (int64, error)) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	if _, err := write(w); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync message: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close message: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename message into place: %w", err)
	}
	return nil
}
