package email_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// queued is a sender with one connection, a first message (to addr(0))
// whose reply the server holds (after its data, so that the first message
// has written all it writes), and Sends to addr(1) ... addr(n) waiting
// behind it, in that order: when the first is released, each message's
// holder finds the next Send waiting and writes its envelope after its
// own message (cross-message pipelining).
type queued struct {
	srv     *emailtest.Server
	s       *email.Sender
	release func()
	errs    []chan error // by recipient index; errs[0] is the held message's
}

func newQueued(t *testing.T, n int, ctxs map[int]context.Context) *queued {
	t.Helper()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })
	q := &queued{srv: srv, s: s}
	entered, release := srv.HoldReply(addr(0))
	q.release = release
	t.Cleanup(release)
	start := func(i int) {
		ctx := ctxs[i]
		if ctx == nil {
			ctx = context.Background()
		}
		done := make(chan error, 1)
		q.errs = append(q.errs, done)
		go func() {
			_, err := s.Send(ctx, message(rid(i), addr(i)))
			done <- err
		}()
	}
	start(0)
	<-entered
	for i := 1; i <= n; i++ {
		start(i)
		waitFor(t, func() bool { return s.Waiting() == i }, "Send %d to wait", i)
	}
	return q
}

func rid(i int) string { return fmt.Sprintf("r%d", i) }

// waitFor polls cond until it holds, or fails the test after a minute.
func waitFor(t *testing.T, cond func() bool, what string, args ...any) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for "+what, args...)
		}
	}
}

// delivered counts the server's messages by recipient, and checks that
// each message's text is its own (the To header matches the envelope).
func delivered(t *testing.T, srv *emailtest.Server) map[string]int {
	t.Helper()
	got := make(map[string]int)
	for _, m := range srv.Messages() {
		if len(m.To) != 1 || !bytes.Contains(m.Data, []byte("<"+m.To[0]+">")) {
			t.Errorf("message for %v carries another message's text:\n%s", m.To, m.Data)
		}
		got[m.To[0]]++
	}
	return got
}

// allArriveOnce waits for every Send, which must succeed, and checks that
// each recipient got one message, its own.
func (q *queued) allArriveOnce(t *testing.T) {
	t.Helper()
	for i, done := range q.errs {
		if err := <-done; err != nil {
			t.Errorf("Send to %s: %v", addr(i), err)
		}
	}
	got := delivered(t, q.srv)
	for i := range q.errs {
		if got[addr(i)] != 1 {
			t.Errorf("%s got %d messages, want 1", addr(i), got[addr(i)])
		}
	}
}

// TestSendChainsTheNextEnvelope: with one connection and five Sends
// waiting, the first takes the free slot and each of the other four has
// its envelope written after the message before it; every message arrives
// once, with its own text.
func TestSendChainsTheNextEnvelope(t *testing.T) {
	t.Parallel()
	q := newQueued(t, 5, nil)
	q.release()
	q.allArriveOnce(t)
	if st := q.s.Stats(); st.Chained != 4 {
		t.Errorf("Chained = %d, want 4 (every waiting Send but the one that took the free slot)", st.Chained)
	}
	if n := q.srv.Connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestSendChainedRefusals: a refusal of a chained message, at RCPT or
// after its data, is that message's alone; the others arrive. A message
// refused at RCPT writes no data, so it carries no envelope: the Send
// after it takes the slot from the pool and chains the one after.
func TestSendChainedRefusals(t *testing.T) {
	t.Parallel()
	refusal := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	for name, tc := range map[string]struct {
		refuse  func(*emailtest.Server, string)
		chained uint64
	}{
		"at RCPT":        {func(srv *emailtest.Server, rcpt string) { srv.Reply(rcpt, refusal) }, 3},
		"after the data": {func(srv *emailtest.Server, rcpt string) { srv.ReplyData(rcpt, refusal) }, 4},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			q := newQueued(t, 5, nil)
			tc.refuse(q.srv, addr(3))
			q.release()
			for i, done := range q.errs {
				err := <-done
				if i != 3 {
					if err != nil {
						t.Errorf("Send to %s: %v", addr(i), err)
					}
					continue
				}
				var se *outreach.SendError
				if !errors.As(err, &se) || !se.Permanent {
					t.Errorf("Send to the refused %s: %v, want a permanent SendError", addr(i), err)
				}
			}
			got := delivered(t, q.srv)
			for i := range q.errs {
				if want := min(1, i^3); got[addr(i)] != want {
					t.Errorf("%s got %d messages, want %d", addr(i), got[addr(i)], want)
				}
			}
			if st := q.s.Stats(); st.Chained != tc.chained {
				t.Errorf("Chained = %d, want %d", st.Chained, tc.chained)
			}
		})
	}
}

// TestSendChainedDropAtRcpt: the server hangs up while it reads a chained
// envelope. The message before it was accepted (its reply came first)
// and counts as sent, once; the chained one is sent again on a new
// connection, once.
func TestSendChainedDropAtRcpt(t *testing.T) {
	t.Parallel()
	q := newQueued(t, 4, nil)
	q.srv.DropAtRcpt(addr(3), 1)
	q.release()
	q.allArriveOnce(t)
	if n := q.srv.Attempts(addr(3)); n != 2 {
		t.Errorf("RCPT TO %s %d times, want 2 (dropped, then on a new connection)", addr(3), n)
	}
	if n := q.srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestSendChainedDropAfterData: the connection drops after a message's
// data went out with the next envelope behind it, before the server
// answered. That message's attempt is broken (it is retried on a new
// connection, as without chaining); the chained Send gets the slot without
// its envelope on it and sends from the start. Each message arrives once
// (the server never finished the broken one).
func TestSendChainedDropAfterData(t *testing.T) {
	t.Parallel()
	q := newQueued(t, 3, nil)
	entered, release := q.srv.Hold(addr(2))
	q.release()
	<-entered // message 2 at DATA, message 3's envelope behind its data
	q.srv.CloseConnections("")
	release()
	q.allArriveOnce(t)
}

// TestSendChainedGivesUp: a Send whose envelope a holder has written, and
// whose ctx ends while the holder's message is still in DATA, returns at
// once; its envelope's connection is dropped when the holder is done, its
// message never completes, and the next message goes on a new connection.
func TestSendChainedGivesUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	q := newQueued(t, 2, map[int]context.Context{2: ctx})
	entered, release := q.srv.Hold(addr(1))
	q.release()
	<-entered // message 1 in DATA; message 2's envelope written behind it
	waitFor(t, func() bool { return q.s.Waiting() == 0 }, "message 2 to be claimed")
	cancel()
	if err := <-q.errs[2]; !errors.Is(err, context.Canceled) {
		t.Errorf("Send to %s after its ctx ended: %v, want context.Canceled", addr(2), err)
	}
	release()
	for i := range 2 {
		if err := <-q.errs[i]; err != nil {
			t.Errorf("Send to %s: %v", addr(i), err)
		}
	}
	send(t, q.s, message("r4", addr(4)))
	got := delivered(t, q.srv)
	if got[addr(2)] != 0 || got[addr(0)] != 1 || got[addr(1)] != 1 || got[addr(4)] != 1 {
		t.Errorf("delivered %v; want one each to %s, %s and %s, none to %s", got, addr(0), addr(1), addr(4), addr(2))
	}
	if n := q.srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2 (the abandoned envelope's dropped)", n)
	}
}
