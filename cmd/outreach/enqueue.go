package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/queue"
)

type enqueueCmd struct {
	Kind     string   `placeholder:"K" help:"job kind: holiday_greeting, maintenance_notice, satisfaction_callback, follow_up, welcome, escalation"`
	Resident string   `placeholder:"ID" help:"resident id"`
	Audience string   `placeholder:"k=v,..." help:"instead of --resident: all, or estate=sunshine,building=3,unit=1201,tags=elderly;new_resident,locale=en (buildings are within the estate)"`
	Data     []string `sep:"none" placeholder:"k=v" help:"template variable key=value (repeatable)"`
	DataJSON string   `name:"data-json" placeholder:"JSON" help:"template data as a JSON object (merged under --data)"`
	ID       string   `name:"id" help:"job id (a job id seen before is never sent twice)"`
	Template string   `help:"template override"`
	Priority string   `help:"urgent, normal or bulk"`
	Campaign string   `help:"campaign this job belongs to"`
	Channels string   `placeholder:"LIST" help:"allowed channels in order, e.g. sms,email"`
	SendAt   string   `name:"send-at" placeholder:"TIME" help:"RFC 3339 time to send at"`
}

func (c *enqueueCmd) run(ctx context.Context, e *env) int {
	job := outreach.Job{ResidentID: c.Resident, ID: c.ID, Template: c.Template,
		Priority: outreach.Priority(c.Priority), Campaign: c.Campaign, Kind: outreach.Kind(c.Kind)}
	data, err := parseKeyValues(c.Data)
	if err != nil {
		return e.usage("enqueue", "--data: %v", err)
	}
	if c.DataJSON != "" {
		if err := json.Unmarshal([]byte(c.DataJSON), &job.Data); err != nil {
			return e.fail("enqueue", fmt.Errorf("--data-json: %w", err))
		}
	}
	if len(data) > 0 && job.Data == nil {
		job.Data = map[string]any{}
	}
	for k, v := range data {
		job.Data[k] = v
	}
	if c.Audience != "" {
		a, err := parseAudience(c.Audience)
		if err != nil {
			return e.fail("enqueue", fmt.Errorf("--audience: %w", err))
		}
		job.Audience = &a
	}
	for ch := range strings.SplitSeq(c.Channels, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			job.Channels = append(job.Channels, outreach.Channel(ch))
		}
	}
	if c.SendAt != "" {
		t, err := time.Parse(time.RFC3339, c.SendAt)
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
