package outbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/outbox"
)

// smsLine mirrors the documented fields of a line of sms.jsonl.
type smsLine struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	To         string    `json:"to"`
	JobID      string    `json:"job_id"`
	DeliveryID string    `json:"delivery_id"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	Segments   int       `json:"segments"`
}

func readSMS(t *testing.T, o *outbox.Outbox) []smsLine {
	t.Helper()
	f, err := os.Open(filepath.Join(o.Dir(), outbox.SMSFile))
	if err != nil {
		t.Fatalf("open sms.jsonl: %v", err)
	}
	defer f.Close()
	var lines []smsLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var l smsLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d is not a JSON SMS: %v\n%s", n, err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read sms.jsonl: %v", err)
	}
	return lines
}

func smsMessage(i int) outreach.Message {
	rid := fmt.Sprintf("r%d", i)
	return outreach.Message{
		DeliveryID: outreach.DeliveryID("job-9", rid, outreach.ChannelSMS),
		JobID:      "job-9",
		Kind:       outreach.KindMaintenanceNotice,
		Channel:    outreach.ChannelSMS,
		To:         fmt.Sprintf("+86138%08d", i),
		Text:       fmt.Sprintf("【物业】%d号楼明天9:00-12:00停水，请提前储水。", i),
	}
}

func TestSMSWritesJSONLines(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	s := o.SMS()
	if s.Channel() != outreach.ChannelSMS {
		t.Errorf("Channel() = %s, want sms", s.Channel())
	}
	before := time.Now().UTC()
	var receipts []outreach.Receipt
	for i := range 3 {
		r, err := s.Send(context.Background(), smsMessage(i))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		receipts = append(receipts, r)
	}

	lines := readSMS(t, o)
	if len(lines) != 3 {
		t.Fatalf("sms.jsonl has %d lines, want 3", len(lines))
	}
	for i, l := range lines {
		m := smsMessage(i)
		if l.To != m.To || l.JobID != m.JobID || l.DeliveryID != m.DeliveryID || l.Kind != string(m.Kind) || l.Text != m.Text {
			t.Errorf("line %d = %+v, want the fields of %+v", i+1, l, m)
		}
		if l.Segments != 1 {
			t.Errorf("line %d: segments = %d, want 1", i+1, l.Segments)
		}
		if l.Time.Before(before) || l.Time.Location() != time.UTC {
			t.Errorf("line %d: time %v, want UTC after %v", i+1, l.Time, before)
		}
		if want := "outbox:" + l.ID; receipts[i].ProviderID != want || receipts[i].Status != outreach.StatusSent {
			t.Errorf("receipt %d = %+v, want ProviderID %s, sent", i, receipts[i], want)
		}
	}
}

func TestSMSConcurrent(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	s := o.SMS()
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Send(context.Background(), smsMessage(g*each+i)); err != nil {
					t.Errorf("Send: %v", err)
				}
			}
		})
	}
	wg.Wait()

	lines := readSMS(t, o)
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l.DeliveryID] = true
	}
	if len(lines) != goroutines*each || len(seen) != goroutines*each {
		t.Errorf("sms.jsonl has %d lines for %d deliveries, want %d of each", len(lines), len(seen), goroutines*each)
	}
}

func TestSMSInvalid(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	tests := []struct {
		name   string
		edit   func(*outreach.Message)
		reason string
	}{
		{"no number", func(m *outreach.Message) { m.To = "" }, "invalid_address"},
		{"no text", func(m *outreach.Message) { m.Text = "" }, "invalid_message"},
	}
	for _, tt := range tests {
		m := smsMessage(1)
		tt.edit(&m)
		_, err := o.SMS().Send(context.Background(), m)
		if !outreach.IsPermanent(err) || outreach.FailureReason(err) != tt.reason {
			t.Errorf("%s: Send = %v, want a permanent %s failure", tt.name, err, tt.reason)
		}
	}
	if _, err := os.Stat(filepath.Join(o.Dir(), outbox.SMSFile)); !os.IsNotExist(err) {
		t.Errorf("sms.jsonl exists after invalid messages only (%v)", err)
	}
}
