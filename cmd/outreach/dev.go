package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/outbox"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
)

// cmdDev runs the whole system on one machine with nothing installed: an
// embedded Redis-compatible server (unless OUTREACH_REDIS_URL is set),
// SQLite in the working folder, and an outbox folder instead of SMTP and
// Twilio (unless they are configured). It seeds demo residents and jobs.
type devCmd struct {
	Outbox    string `default:"outbox" placeholder:"DIR" help:"folder for emails (.eml) and SMS (sms.jsonl)"`
	HTTP      string `name:"http" default:"127.0.0.1:8080" placeholder:"ADDR" help:"HTTP address for /metrics, /healthz, /readyz (a free port is taken if busy; OUTREACH_HTTP_ADDR, when set, wins)"`
	RedisAddr string `name:"redis-addr" default:"127.0.0.1:6380" placeholder:"ADDR" help:"address of the embedded Redis-compatible server (a free port is taken if busy)"`
	NoDemo    bool   `name:"no-demo" help:"do not seed demo residents and jobs"`
}

func (c *devCmd) run(ctx context.Context, e *env) int {
	cfg, ok := e.loadConfig()
	if !ok {
		return 2
	}
	logger := e.logger(cfg)
	gcDefaults(e.getenv)
	if e.getenv("OUTREACH_QUIET_HOURS") == "" {
		cfg.Policy.QuietHours = policy.QuietHours{} // the demo sends at any hour; set it to see quiet hours at work
	}
	if e.getenv("OUTREACH_HTTP_ADDR") == "" {
		cfg.HTTPAddr = freeAddr(c.HTTP)
	}
	if e.getenv("OUTREACH_API_AUTH") == "" {
		cfg.APIAuth = false // on this machine only; OUTREACH_API_AUTH=on tries the tokens
	}

	var rdb redis.UniversalClient
	redisWhere := "OUTREACH_REDIS_URL"
	if cfg.RedisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr(freeAddr(c.RedisAddr)); err != nil {
			return e.fail("dev", fmt.Errorf("start embedded Redis: %w", err))
		}
		defer mr.Close()
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		defer rdb.Close()
		redisWhere = "embedded, redis://" + mr.Addr()
	}

	box, err := outbox.New(c.Outbox)
	if err != nil {
		return e.fail("dev", err)
	}
	senders := map[outreach.Channel]outreach.Sender{}
	if !cfg.EmailEnabled() {
		senders[outreach.ChannelEmail] = box.Email()
	}
	if !cfg.SMSEnabled() {
		senders[outreach.ChannelSMS] = box.SMS()
	}
	if len(senders) == 0 {
		senders = nil // both configured: the daemon builds the real ones
	} else if cfg.EmailEnabled() || cfg.SMSEnabled() {
		fmt.Fprintln(e.stderr, "outreach dev: with one channel configured and the other not, both go to the outbox; configure both or neither")
	}

	hup, stopHup := hangup()
	defer stopHup()
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Logger: logger, Redis: rdb, Senders: senders, Hangup: hup})
	if err != nil {
		return e.fail("dev", err)
	}
	if !c.NoDemo {
		if err := seedDemo(ctx, d); err != nil {
			return e.fail("dev", err)
		}
	}
	link, password, err := devAdmin(ctx, d)
	if err != nil {
		return e.fail("dev", err)
	}
	abs, _ := filepath.Abs(c.Outbox)
	fmt.Fprintf(e.stdout, `
outreach dev is running. Ctrl-C to stop.

  Console:  http://%s%s
            (signs you in as the demo admin "admin", once, within 15 minutes;
             afterwards sign in at http://%s/console/ with admin / %s)

  Redis:    %s (stream %s)
  Archive:  %s
  Outbox:   %s  (emails as .eml files, SMS in sms.jsonl)
  Metrics:  http://%s/metrics   health: /healthz, /readyz
  API:      http://%s/v1/openapi.json   (%s; see docs/api.md, "API tokens")

Try:
  go run ./cmd/outreach archive search
  redis-cli -u <redis url above> XADD %s '*' job '{"kind":"maintenance_notice","resident_id":"r1001","data":{"title":"Water cut","area":"Building 1","start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00","contact":"0755-8888-8888"}}'
  go run ./cmd/outreach templates preview --kind welcome --resident r1003 --sample
  curl -s http://%s/v1/jobs -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' -d '{"kind":"follow_up","resident_id":"r1005","data":{"topic":"parking"}}'

`, d.Addr(), link, d.Addr(), password, redisWhere, d.Keys.Stream, cfg.DatabaseURL.Reveal(), abs, d.Addr(), d.Addr(), apiAuthNote(cfg.APIAuth), d.Keys.Stream, d.Addr())
	if err := d.Run(ctx); err != nil {
		return e.fail("dev", err)
	}
	return 0
}

// freeAddr returns addr if it can be listened on, else a free port on the same host.
func freeAddr(addr string) string {
	l, err := net.Listen("tcp", addr)
	if err == nil {
		_ = l.Close()
		return addr
	}
	host, _, _ := net.SplitHostPort(addr)
	l, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return addr
	}
	defer l.Close()
	return l.Addr().String()
}

// seedDemo adds demo residents and a few jobs with fixed ids: running dev
// again sends nothing twice, which shows the job-id dedupe at work.
func seedDemo(ctx context.Context, d *daemon.Daemon) error {
	// Two estates, each speaking with its own voice: their residents get
	// messages signed with the estate's name, phone and SMS signature.
	for _, e := range demoEstates {
		if err := d.Store.CreateEstate(ctx, e); err != nil && !errors.Is(err, outreach.ErrExists) {
			return fmt.Errorf("seed demo estate %s: %w", e.ID, err)
		}
	}
	residents := []outreach.Resident{
		{ID: "r1001", Estate: "sunshine", Name: "王秀英", Phone: "+8613800138001", Email: "wang.xiuying@example.com", Locale: "zh-CN", Building: "1", Unit: "1201", Tags: []string{"elderly"}, Channels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}},
		{ID: "r1002", Estate: "sunshine", Name: "李明", Email: "li.ming@example.com", Phone: "+8613900139002", Locale: "zh-CN", Building: "1", Unit: "802"},
		{ID: "r1003", Estate: "sunshine", Name: "Emily Carter", Email: "emily.carter@example.com", Locale: "en", Building: "2", Unit: "305", Tags: []string{"new_resident"}},
		{ID: "r1004", Estate: "sunshine", Name: "张伟", Phone: "+8613700137004", Locale: "zh-CN", Building: "2", Unit: "1502", Channels: []outreach.Channel{outreach.ChannelSMS}},
		{ID: "r1005", Estate: "harbour", Name: "David Chen", Email: "david.chen@example.com", Phone: "+8613600136005", Locale: "en", Building: "3", Unit: "101"},
		{ID: "r1006", Estate: "harbour", Name: "Margaret Wong", Phone: "+85291234006", Locale: "en", Building: "3", Unit: "1802", Tags: []string{"elderly"}, Channels: []outreach.Channel{outreach.ChannelSMS}},
		// Staff are in the directory too: escalations go to them.
		{ID: "s001", Estate: "sunshine", Name: "刘工", Email: "engineering@example.com", Locale: "zh-CN", Tags: []string{"staff"}},
	}
	if _, err := d.Store.UpsertResidents(ctx, residents); err != nil {
		return fmt.Errorf("seed demo residents: %w", err)
	}
	jobs := []outreach.Job{
		// Harbour View's building 3, no data.contact: every resident gets
		// it, the elderly one too, with the estate's service phone.
		{ID: "demo-lift-harbour-b3", Kind: outreach.KindMaintenanceNotice, Audience: &outreach.Audience{Estate: "harbour", Building: "3"},
			Data: map[string]any{"title": "Lift maintenance", "area": "Building 3", "start": "2026-12-03T10:00:00+08:00", "end": "2026-12-03T12:00:00+08:00", "reason": "annual lift inspection"}},
		{ID: "demo-water-cut-b1", Kind: outreach.KindMaintenanceNotice, Audience: &outreach.Audience{Estate: "sunshine", Building: "1"},
			Data: map[string]any{"title": "计划停水", "area": "1号楼", "start": "2026-12-02T09:00:00+08:00", "end": "2026-12-02T12:00:00+08:00", "reason": "更换主水管阀门", "contact": "0755-8888-8888"}},
		{ID: "demo-welcome-r1003", Kind: outreach.KindWelcome, ResidentID: "r1003",
			Data: map[string]any{"estate": "Sunrise Gardens", "office_hours": "daily 8:00-20:00", "contact": "0755-8888-8888", "emergency_contact": "0755-8888-9999"}},
		{ID: "demo-escalation-wo-2031", Kind: outreach.KindEscalation, ResidentID: "s001", Priority: outreach.PriorityUrgent,
			Data: map[string]any{"issue": "管道漏水", "location": "2号楼车库B区", "since": "2026-12-01T07:30:00+08:00", "reported_by": "2号楼1502室张伟", "work_order": "WO-2031"}},
		{ID: "demo-new-year-r1003", Kind: outreach.KindHolidayGreeting, ResidentID: "r1003", Priority: outreach.PriorityBulk,
			Data: map[string]any{"holiday": "New Year"}},
		{ID: "demo-survey-r1004", Kind: outreach.KindSatisfactionCallback, ResidentID: "r1004",
			Data: map[string]any{"service": "厨房水槽维修", "work_order": "WO-20261128-017"}},
		{ID: "demo-follow-up-r1005", Kind: outreach.KindFollowUp, ResidentID: "r1005",
			Data: map[string]any{"topic": "noise from the parking garage gate", "resolution": "the gate motor was replaced on Nov 27"}},
		// Unknown resident: shows a dead letter with its reason.
		{ID: "demo-unknown-resident", Kind: outreach.KindFollowUp, ResidentID: "r9999", Data: map[string]any{"topic": "test"}},
	}
	p := queue.NewProducer(d.Redis, d.Keys)
	if _, err := p.EnqueueBatch(ctx, jobs); err != nil {
		return fmt.Errorf("enqueue demo jobs: %w", err)
	}
	return nil
}

// devAdmin makes sure the demo admin "admin" exists, with a fresh random
// password each run (said in the banner), and returns a one-time link that
// signs it in.
func devAdmin(ctx context.Context, d *daemon.Daemon) (link, password string, err error) {
	password = "dev-" + rand.Text()[:16]
	u, err := outreach.NewConsoleUser("admin", "Demo admin", outreach.RoleAdmin, nil, password)
	if err != nil {
		return "", "", err
	}
	err = d.Store.CreateConsoleUser(ctx, u)
	if errors.Is(err, outreach.ErrExists) {
		no := false
		_, err = d.Store.UpdateConsoleUser(ctx, "admin", outreach.ConsoleUserChange{PasswordHash: &u.PasswordHash, Disabled: &no})
	}
	if err != nil {
		return "", "", fmt.Errorf("demo admin: %w", err)
	}
	if link, err = d.Console.LoginLink(ctx, "admin"); err != nil {
		return "", "", err
	}
	return link, password, nil
}

// demoEstates are the estates `outreach dev` seeds.
var demoEstates = []outreach.Estate{
	{ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0755-8888-8888",
		OfficeHours: "每天 8:00-20:00", EmergencyPhone: "0755-8888-9999", Address: "深圳市南山区阳光路 1 号",
		SMSSignature: "【阳光花园物业】", EmailFromName: "阳光花园物业服务中心", ReplyTo: "service@sunshine.example.com",
		TimeZone: "Asia/Shanghai", Locale: "zh-CN"},
	{ID: "harbour", Name: "Harbour View Residences", Company: "Harbour Property Services", ServicePhone: "+852 2345 6789",
		OfficeHours: "Mon-Sat 9:00-18:00", EmergencyPhone: "+852 2345 6000", Address: "8 Harbour Road, Wan Chai",
		SMSSignature: "【海景物业】", EmailFromName: "Harbour View Management Office", ReplyTo: "office@harbour.example.com",
		TimeZone: "Asia/Hong_Kong", Locale: "en"},
}

// apiAuthNote says whether the API wants tokens, for dev's banner.
func apiAuthNote(on bool) string {
	if on {
		return "bearer tokens required: outreach tokens create"
	}
	return "no token needed: OUTREACH_API_AUTH=off"
}
