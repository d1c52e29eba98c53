package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
)

// smsSender appends SMS messages to sms.jsonl.
type smsSender struct{ o *Outbox }

// smsLine is one line of sms.jsonl.
type smsLine struct {
	ID         string        `json:"id"`
	Time       time.Time     `json:"time"`
	To         string        `json:"to"`
	JobID      string        `json:"job_id"`
	DeliveryID string        `json:"delivery_id"`
	Kind       outreach.Kind `json:"kind"`
	Text       string        `json:"text"`
	Segments   int           `json:"segments"`
}

func (s *smsSender) Channel() outreach.Channel { return outreach.ChannelSMS }

func (s *smsSender) Close() error { return nil }

// Send appends m as one JSON line. Its id, sms-<time>-<delivery[:8]>, is
// the receipt's ProviderID after "outbox:".
func (s *smsSender) Send(ctx context.Context, m outreach.Message) (outreach.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return outreach.Receipt{}, fmt.Errorf("write SMS to outbox: %w", err)
	}
	switch {
	case m.To == "":
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: "invalid_address", Err: errors.New("SMS has no phone number")}
	case m.Text == "":
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: "invalid_message", Err: errors.New("SMS has no text")}
	}
	now := s.o.now().UTC()
	line := smsLine{
		ID:         "sms-" + now.Format(stamp) + "-" + safeName(m.DeliveryID, 8, "delivery"),
		Time:       now,
		To:         m.To,
		JobID:      m.JobID,
		DeliveryID: m.DeliveryID,
		Kind:       m.Kind,
		Text:       m.Text,
		Segments:   sms.Measure(m.Text).Segments,
	}
	if err := s.o.appendSMS(line); err != nil {
		return outreach.Receipt{}, fmt.Errorf("write SMS to outbox: %w", err)
	}
	return outreach.Receipt{ProviderID: "outbox:" + line.ID, Status: outreach.StatusSent}, nil
}

// appendSMS writes line to sms.jsonl with one write under the mutex.
func (o *Outbox) appendSMS(line smsLine) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends the line with '\n'
	enc.SetEscapeHTML(false)     // keep "<" and "&" readable
	if err := enc.Encode(line); err != nil {
		return fmt.Errorf("encode SMS: %w", err)
	}
	o.smsMu.Lock()
	defer o.smsMu.Unlock()
	f, err := os.OpenFile(filepath.Join(o.dir, SMSFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", SMSFile, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		_ = f.Close()
		return fmt.Errorf("append to %s: %w", SMSFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", SMSFile, err)
	}
	return nil
}
