package email

import (
	"bufio"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wneessen/go-mail/smtp"

	"github.com/outreach-dev/outreach/outreach"
)

// scriptedPeer is the server end of a net.Pipe: it greets, then answers
// each command line with replies[verb] ("250 ok" by default; a 354 to DATA
// takes message data up to ".") and records the lines it got.
// The in-process server (go-smtp) always offers PIPELINING; this peer
// stands for the servers that do not, and shows what goes over the wire.
func scriptedPeer(t *testing.T, replies map[string]string) (*smtp.Client, func() []string) {
	t.Helper()
	client, server := net.Pipe()
	got := make(chan []string, 1)
	go func() {
		defer server.Close()
		var lines []string
		defer func() { got <- lines }()
		w := bufio.NewWriter(server)
		r := bufio.NewReader(server)
		inData := false
		pipelining := strings.Contains(replies["EHLO localhost"], "PIPELINING")
		_, _ = w.WriteString("220 peer ready\r\n")
		_ = w.Flush()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			lines = append(lines, line)
			if inData && line != "." {
				continue // message data: no reply until its end
			}
			verb, _, _ := strings.Cut(line, ":")
			reply, ok := replies[verb]
			if !ok || inData {
				reply = "250 ok"
			}
			inData = verb == "DATA" && strings.HasPrefix(reply, "354")
			_, _ = w.WriteString(reply + "\r\n")
			if pipelining && (verb == "MAIL FROM" || verb == "RCPT TO") {
				continue // replies held until DATA: only a pipelining client gets them
			}
			_ = w.Flush()
		}
	}()
	sc, err := smtp.NewClient(client, "peer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return sc, func() []string { _ = client.Close(); return <-got }
}

// TestEnvelopeWithoutPipeliningStopsAtTheRefusal: one command at a time, and
// nothing after a refused recipient.
func TestEnvelopeWithoutPipeliningStopsAtTheRefusal(t *testing.T) {
	sc, lines := scriptedPeer(t, map[string]string{"RCPT TO": "550 5.1.1 no such user"})
	c := &conn{}
	refused, err := c.envelope(sc, []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"}, false)
	if err != nil {
		t.Fatalf("envelope: %v", err)
	}
	var te *textproto.Error
	if refused == nil || !asTextproto(refused, &te) || te.Code != 550 {
		t.Fatalf("refused = %v, want the 550", refused)
	}
	if want := []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>"}; !slices.Equal(lines(), want) {
		t.Errorf("server got %q, want %q (no DATA after the refusal)", lines(), want)
	}
}

// TestEnvelopeWithoutPipeliningAccepts: every reply read in turn, DATA's 354 too.
func TestEnvelopeWithoutPipeliningAccepts(t *testing.T) {
	sc, lines := scriptedPeer(t, map[string]string{"DATA": "354 go ahead"})
	c := &conn{}
	refused, err := c.envelope(sc, []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"}, false)
	if err != nil || refused != nil {
		t.Fatalf("envelope = %v, %v; want success", refused, err)
	}
	if got := lines(); len(got) != 3 || got[2] != "DATA" {
		t.Errorf("server got %q, want MAIL, RCPT, DATA", got)
	}
}

// TestEnvelopePipelinedEndsAnAcceptedDataAfterARefusal: a server that
// accepts DATA although it refused the only recipient gets an empty
// message ended with ".", so the connection stays in step.
func TestEnvelopePipelinedEndsAnAcceptedDataAfterARefusal(t *testing.T) {
	sc, lines := scriptedPeer(t, map[string]string{"RCPT TO": "451 4.3.0 try later", "DATA": "354 go ahead"})
	c := &conn{}
	refused, err := c.envelope(sc, []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"}, true)
	if err != nil {
		t.Fatalf("envelope: %v", err)
	}
	var te *textproto.Error
	if refused == nil || !asTextproto(refused, &te) || te.Code != 451 {
		t.Fatalf("refused = %v, want the 451", refused)
	}
	if want := []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA", "."}; !slices.Equal(lines(), want) {
		t.Errorf("server got %q, want %q", lines(), want)
	}
}

// TestTransactSkipsRset: the envelope is pipelined when the server offers
// PIPELINING (the peer then answers MAIL and RCPT only after DATA), sent
// one command at a time otherwise, and a message the server took is not
// followed by RSET either way.
func TestTransactSkipsRset(t *testing.T) {
	for name, ehlo := range map[string]string{"pipelining": "250-peer\r\n250 PIPELINING", "plain": "250 peer"} {
		t.Run(name, func(t *testing.T) {
			sc, lines := scriptedPeer(t, map[string]string{"EHLO localhost": ehlo, "DATA": "354 go ahead"})
			if err := sc.Hello("localhost"); err != nil {
				t.Fatal(err)
			}
			from := &mail.Address{Address: "office@example.com"}
			msg, err := Compose(from, outreach.Message{DeliveryID: "d1", To: "lisa@example.com", Subject: "Water", Text: "Off on Friday.\n.\nThanks"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			c := &conn{ext: serverExtensions(sc)}
			if err := c.transact(sc, msg, 5*time.Second); err != nil {
				t.Fatalf("transact: %v", err)
			}
			got := lines()
			if len(got) < 5 || got[0] != "EHLO localhost" || !strings.HasPrefix(got[1], "MAIL FROM:<office@example.com>") ||
				got[2] != "RCPT TO:<lisa@example.com>" || got[3] != "DATA" || got[len(got)-1] != "." {
				t.Fatalf("server got %q, want EHLO, MAIL, RCPT, DATA, the message, and its end", got)
			}
			if !slices.Contains(got, "..") {
				t.Errorf("a line with a single dot was not dot-stuffed: %q", got)
			}
			if slices.Contains(got, "RSET") {
				t.Errorf("RSET after an accepted message: %q", got)
			}
		})
	}
}

func asTextproto(err error, te **textproto.Error) bool {
	e, ok := err.(*textproto.Error)
	*te = e
	return ok
}

func TestDotStuff(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{".first\r\n..two\r\nx.y\r\n.\r\n", "..first\r\n...two\r\nx.y\r\n..\r\n"},
		{"bare\nlf\n", "bare\r\nlf\r\n"},
		{"no end", "no end\r\n"},
		{"\r\n\r\nbody", "\r\n\r\nbody\r\n"},
		{"", ""},
	} {
		var b strings.Builder
		w := bufio.NewWriter(&b)
		dotStuff(w, []byte(tt.in))
		_ = w.Flush()
		if b.String() != tt.want {
			t.Errorf("dotStuff(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// TestWriteData: the whole DATA payload, through dotStuff or the fast
// path for text that needs no stuffing, is the same as stuffing it line
// by line would give, ended with ".".
func TestWriteData(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		fast     bool
	}{
		{"a\r\nb\r\n", "a\r\nb\r\n", true},
		{".first\r\n..two\r\nx.y\r\n.\r\n", "..first\r\n...two\r\nx.y\r\n..\r\n", false},
		{"a\r\n.b\r\n", "a\r\n..b\r\n", false},
		{"a\r\nb.\r\n", "a\r\nb.\r\n", true},
		{"bare\nlf\r\n", "bare\r\nlf\r\n", false},
		{"crlf\r\nbare\n", "crlf\r\nbare\r\n", false},
		{"\nfirst\r\n", "\r\nfirst\r\n", false},
		{"no end", "no end\r\n", false},
		{"\r\n\r\nbody\r\n", "\r\n\r\nbody\r\n", true},
		{"", "", false},
	} {
		if got := needsStuffing([]byte(tt.in)); got == tt.fast {
			t.Errorf("needsStuffing(%q) = %v, want %v", tt.in, got, !tt.fast)
		}
		var b strings.Builder
		w := bufio.NewWriter(&b)
		var msg Msg
		msg.w.WriteString(tt.in)
		writeData(w, &msg)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := tt.want + ".\r\n"; b.String() != want {
			t.Errorf("writeData(%q) = %q, want %q", tt.in, b.String(), want)
		}
	}
}

// TestReadReplyAsTextproto: readReply takes and refuses what
// textproto.Reader.ReadResponse does, with the same *textproto.Error for
// an unwanted code, and leaves the reader after the reply.
func TestReadReplyAsTextproto(t *testing.T) {
	replies := []string{
		"250 2.1.0 Ok\r\n",
		"250 \r\n",
		"250-first\r\n250-second\r\n250 third\r\n",
		"251 2.1.5 will forward\r\n",
		"354 End data with <CR><LF>.<CR><LF>\r\n",
		"550 5.1.1 no such user\r\n",
		"550-5.1.1 no such\r\n550 5.1.1 user\r\n",
		"421-4.3.2 going\r\nmessage line 2\r\n421 away\r\n",
		"250-ok\r\n251 other code\r\n250 end\r\n",
		"452 4.5.3 too many\n",
		"25 short\r\n",
		"250\r\n",
		"2x0 bad\r\n",
		"250_bad\r\n",
		"650 bad class\r\n",
	}
	for _, reply := range replies {
		for _, want := range []int{250, 25, 2, 354} {
			in := reply + "250 next\r\n"
			tr := textproto.NewReader(bufio.NewReader(strings.NewReader(in)))
			_, _, terr := tr.ReadResponse(want)
			r := bufio.NewReader(strings.NewReader(in))
			err := readReply(r, want)
			var te, ge *textproto.Error
			tIs, gIs := asTextproto(terr, &te), asTextproto(err, &ge)
			_, tProto := terr.(textproto.ProtocolError)
			_, gProto := err.(textproto.ProtocolError)
			switch {
			case terr == nil && err == nil:
			case tIs && gIs && *te == *ge:
			case tProto && gProto:
				continue // the reader is wherever the bad line left it
			default:
				t.Errorf("reply %q, want %d: readReply = %v (%T), ReadResponse = %v (%T)", reply, want, err, err, terr, terr)
				continue
			}
			if rest, _ := r.ReadString('\n'); rest != "250 next\r\n" {
				t.Errorf("reply %q: readReply left %q unread, want the next reply", reply, rest)
			}
		}
	}
}

// TestParseAddressFastPath: what plainAddress takes, net/mail parses into
// an Address of the same text and no name; what it leaves, parseAddress
// hands to net/mail, so both accept and refuse the same inputs.
func TestParseAddressFastPath(t *testing.T) {
	for _, tt := range []struct {
		in    string
		plain bool
	}{
		{"lisa@example.com", true},
		{"Lisa.Wong+notices@mail-1.example.org", true},
		{"a!#$%&'*+/=?^_`{|}~-@x.y", true},
		{"x@localhost", true},
		{"Lisa <lisa@example.com>", false},
		{"<lisa@example.com>", false},
		{"\"lisa wong\"@example.com", false},
		{"lisa@[127.0.0.1]", false},
		{".lisa@example.com", false},
		{"lisa.@example.com", false},
		{"li..sa@example.com", false},
		{"lisa@example..com", false},
		{"lisa@.example.com", false},
		{"lisa@example.com.", false},
		{"lisa@ex_ample.com", false},
		{"lisa@", false},
		{"@example.com", false},
		{"lisa", false},
		{"lisa@a@b", false},
		{"lïsa@example.com", false},
		{"lisa@example.com (Lisa)", false},
		{"lisa @example.com", false},
		{"", false},
	} {
		if got := plainAddress(tt.in); got != tt.plain {
			t.Errorf("plainAddress(%q) = %v, want %v", tt.in, got, tt.plain)
		}
		want, werr := mail.ParseAddress(tt.in)
		got, gerr := parseAddress(tt.in)
		if (werr == nil) != (gerr == nil) || (werr == nil && *got != *want) {
			t.Errorf("parseAddress(%q) = %+v, %v; net/mail: %+v, %v", tt.in, got, gerr, want, werr)
		}
		if tt.plain && (werr != nil || want.Address != tt.in || want.Name != "") {
			t.Errorf("net/mail parses plain %q as %+v, %v", tt.in, want, werr)
		}
	}
}

// TestComposeHeadersPerEstate: the remembered From and List-Id values
// (fromHeader, listIDHeader) follow the estate of each message, messages
// of two estates taking turns.
func TestComposeHeadersPerEstate(t *testing.T) {
	from := &mail.Address{Name: "Office", Address: "office@example.com"}
	estates := []outreach.Estate{
		{ID: "sunshine", Name: "Sunshine Garden"},
		{ID: "harbour", Name: "Harbour View", EmailFromName: "Harbour View Office"},
		{ID: "harbour", Name: "Harbour View", Company: "Acme"},
	}
	want := []struct{ from, listID string }{
		{"From: \"Sunshine Garden\" <office@example.com>", "List-Id: Sunshine Garden <sunshine.estates.example.com>"},
		{"From: \"Harbour View Office\" <office@example.com>", "List-Id: Harbour View <harbour.estates.example.com>"},
		{"From: \"Acme Harbour View\" <office@example.com>", "List-Id: Harbour View <harbour.estates.example.com>"},
	}
	for _, i := range []int{0, 1, 0, 2, 1, 2, 0} {
		m := outreach.Message{DeliveryID: "d1", To: "lisa@example.com", Subject: "Water", Text: "Off.",
			Unsubscribe: "https://example.com/u/x", Estate: estates[i]}
		msg, err := Compose(from, m, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		text := string(msg.Bytes())
		if !strings.Contains(text, want[i].from+"\r\n") || !strings.Contains(text, want[i].listID+"\r\n") {
			t.Errorf("estate %d: message lacks %q or %q:\n%s", i, want[i].from, want[i].listID, text)
		}
	}
}

// countingConn counts the writes to a connection.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// TestTransactWrites: with PIPELINING a message is two writes, the
// envelope and then its DATA with the end, also when it is bigger than
// the connection's own 4 KiB buffer. A message that carries the next
// Send's envelope after its data is still two writes, and the next
// message, its envelope already sent, is one.
func TestTransactWrites(t *testing.T) {
	for _, size := range []int{100, 20 << 10} {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			r, w := bufio.NewReader(server), bufio.NewWriter(server)
			say := func(s string) { _, _ = w.WriteString(s + "\r\n"); _ = w.Flush() }
			say("220 peer")
			inData := false
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				switch line = strings.TrimRight(line, "\r\n"); {
				case inData && line == ".":
					inData = false
					say("250 ok")
				case inData:
				case strings.HasPrefix(line, "EHLO"):
					say("250-peer\r\n250 PIPELINING")
				case line == "DATA":
					inData = true
					_, _ = w.WriteString("250 ok\r\n250 ok\r\n354 go\r\n")
					_ = w.Flush()
				}
			}
		}()
		cc := &countingConn{Conn: client}
		sc, err := smtp.NewClient(cc, "peer")
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Hello("localhost"); err != nil {
			t.Fatal(err)
		}
		msg, err := Compose(&mail.Address{Address: "office@example.com"},
			outreach.Message{DeliveryID: "d1", To: "lisa@example.com", Subject: "Water", Text: strings.Repeat("x", size)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{ext: serverExtensions(sc)}
		for range 2 {
			before := cc.writes
			if err := c.transact(sc, msg, 5*time.Second); err != nil {
				t.Fatalf("transact: %v", err)
			}
			if got := cc.writes - before; got != 2 {
				t.Errorf("message of %d bytes: %d writes, want 2", len(msg.Bytes()), got)
			}
		}
		next := &waiter{msg: msg}
		c.claim = func(params string) (*waiter, [envelopeCmds]string) {
			c.claim = nil // one Send waits
			cmds, err := envelopeOf(next.msg, params)
			if err != nil {
				t.Fatal(err)
			}
			return next, cmds
		}
		before := cc.writes
		if err := c.transact(sc, msg, 5*time.Second); err != nil {
			t.Fatalf("transact carrying the next envelope: %v", err)
		}
		if got := cc.writes - before; got != 2 || c.next != next || !c.pending {
			t.Errorf("message carrying the next envelope: %d writes (want 2), next %v, pending %v", got, c.next == next, c.pending)
		}
		c.next = nil // as handOn does; c.pending stays for the next message
		before = cc.writes
		if err := c.transact(sc, msg, 5*time.Second); err != nil {
			t.Fatalf("transact with its envelope sent: %v", err)
		}
		if got := cc.writes - before; got != 1 {
			t.Errorf("message whose envelope went before: %d writes, want 1", got)
		}
		_ = client.Close()
	}
}
