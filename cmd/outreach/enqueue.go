package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/queue"
)

// keyValues collects repeated k=v flags.
type keyValues map[string]any

func (kv keyValues) String() string { return fmt.Sprint(map[string]any(kv)) }
func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	kv[strings.TrimSpace(k)] = v
	return nil
}

func cmdEnqueue(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	data := keyValues{}
	var (
		job      outreach.Job
		kind     = fs.String("kind", "", "job kind: holiday_greeting, maintenance_notice, satisfaction_callback, follow_up, welcome, escalation")
		audience = fs.String("audience", "", "instead of --resident: all, or estate=sunshine,building=3,unit=1201,tags=elderly;new_resident,locale=en (buildings are within the estate)")
		channels = fs.String("channels", "", "allowed channels in order, e.g. sms,email")
		sendAt   = fs.String("send-at", "", "RFC 3339 time to send at")
		dataJSON = fs.String("data-json", "", "template data as a JSON object (merged under --data)")
	)
	fs.StringVar(&job.ResidentID, "resident", "", "resident id")
	fs.StringVar(&job.ID, "id", "", "job id (a job id seen before is never sent twice)")
	fs.StringVar(&job.Template, "template", "", "template override")
	fs.StringVar((*string)(&job.Priority), "priority", "", "urgent, normal or bulk")
	fs.StringVar(&job.Campaign, "campaign", "", "campaign this job belongs to")
	fs.Var(data, "data", "template variable key=value (repeatable)")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	job.Kind = outreach.Kind(*kind)
	if *dataJSON != "" {
		if err := json.Unmarshal([]byte(*dataJSON), &job.Data); err != nil {
			return e.fail("enqueue", fmt.Errorf("--data-json: %w", err))
		}
	}
	if len(data) > 0 && job.Data == nil {
		job.Data = map[string]any{}
	}
	for k, v := range data {
		job.Data[k] = v
	}
	if *audience != "" {
		a, err := parseAudience(*audience)
		if err != nil {
			return e.fail("enqueue", fmt.Errorf("--audience: %w", err))
		}
		job.Audience = &a
	}
	for c := range strings.SplitSeq(*channels, ",") {
		if c = strings.TrimSpace(c); c != "" {
			job.Channels = append(job.Channels, outreach.Channel(c))
		}
	}
	if *sendAt != "" {
		t, err := time.Parse(time.RFC3339, *sendAt)
		if err != nil {
			return e.fail("enqueue", fmt.Errorf("--send-at: %w", err))
		}
		job.SendAt = &t
	}
	if err := job.Validate(); err != nil {
		return e.fail("enqueue", err)
	}

	cfg, ok := e.loadConfig(config.GroupRedis)
	if !ok {
		return 2
	}
	if cfg.RedisURL == "" {
		return e.fail("enqueue", errors.New("OUTREACH_REDIS_URL: required (e.g. redis://127.0.0.1:6379/0)"))
	}
	rdb, err := queue.Connect(ctx, cfg.RedisURL.Reveal(), queue.ConnectOptions{})
	if err != nil {
		return e.fail("enqueue", fmt.Errorf("connect to Redis (OUTREACH_REDIS_URL): %w", err))
	}
	defer rdb.Close()
	id, err := queue.NewProducer(rdb, queue.NewShardedKeys(cfg.Stream, cfg.Group, cfg.Shards)).Enqueue(ctx, job)
	if err != nil {
		return e.fail("enqueue", err)
	}
	fmt.Fprintln(e.stdout, id)
	return 0
}

// parseAudience reads "all" or "estate=sunshine,building=3,unit=1201,tags=a;b,locale=en".
func parseAudience(s string) (outreach.Audience, error) {
	var a outreach.Audience
	for part := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "all":
			a.All = v == "" || v == "true"
		case "estate":
			a.Estate = v
		case "building":
			a.Building = v
		case "unit":
			a.Unit = v
		case "locale":
			a.Locale = v
		case "tag", "tags":
			for t := range strings.SplitSeq(v, ";") {
				if t = strings.TrimSpace(t); t != "" {
					a.Tags = append(a.Tags, t)
				}
			}
		default:
			return a, fmt.Errorf("unknown selector %q (want all, estate, building, unit, tags, locale)", k)
		}
	}
	if a.Empty() {
		return a, errors.New("selects nobody")
	}
	return a, nil
}
