package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Campaign returns c validated and in canonical form: texts checked as for
// Deliveries, a zero CreatedAt set to now, UpdatedAt set to now, times in
// canonical form, and empty lists and maps nil.
func Campaign(c outreach.Campaign, now time.Time) (outreach.Campaign, error) {
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("campaign %q: %w", c.ID, err)
	}
	texts := []field{
		{"id", c.ID}, {"name", c.Name}, {"kind", string(c.Kind)}, {"template", c.Template},
		{"priority", string(c.Priority)}, {"state", string(c.State)},
		{"occurrence", c.Occurrence}, {"cursor", c.Cursor},
		{"schedule.local_time", c.Schedule.LocalTime}, {"schedule.on", c.Schedule.On},
		{"schedule.every", c.Schedule.Every},
		{"audience.building", c.Audience.Building}, {"audience.unit", c.Audience.Unit},
		{"audience.locale", c.Audience.Locale},
	}
	for _, t := range c.Audience.Tags {
		texts = append(texts, field{"audience.tags", t})
	}
	for _, f := range texts {
		if err := checkText(f.value); err != nil {
			return c, fmt.Errorf("campaign %q: field %s: %w", c.ID, f.name, err)
		}
	}
	if c.Targeted < 0 || c.Runs < 0 || c.Runs > math.MaxInt32 {
		return c, fmt.Errorf("campaign %q: counts out of range", c.ID)
	}
	now = Time(now)
	c.CreatedAt = orNow(c.CreatedAt, now)
	c.UpdatedAt = now
	c.Schedule.At = timePtr(c.Schedule.At)
	c.NextRun = timePtr(c.NextRun)
	c.LastRunAt = timePtr(c.LastRunAt)
	c.Channels = nilIfEmpty(c.Channels)
	c.Audience.Tags = nilIfEmpty(c.Audience.Tags)
	if len(c.Data) == 0 {
		c.Data = nil
	}
	return c, nil
}

// CampaignJSON holds the JSON texts of a campaign's structured fields.
type CampaignJSON struct {
	Audience, Channels, Data, Schedule []byte
}

var errJSONNUL = errors.New("contains a NUL character")

// EncodeCampaign gives the JSON of c's structured fields: objects are
// never "null", an empty channel list is "[]".
func EncodeCampaign(c outreach.Campaign) (CampaignJSON, error) {
	var j CampaignJSON
	var err error
	if j.Audience, err = json.Marshal(c.Audience); err != nil {
		return j, fmt.Errorf("encode audience of campaign %q: %w", c.ID, err)
	}
	channels := c.Channels
	if channels == nil {
		channels = []outreach.Channel{}
	}
	if j.Channels, err = json.Marshal(channels); err != nil {
		return j, fmt.Errorf("encode channels of campaign %q: %w", c.ID, err)
	}
	data := c.Data
	if data == nil {
		data = map[string]any{}
	}
	if j.Data, err = json.Marshal(data); err != nil {
		return j, fmt.Errorf("encode data of campaign %q: %w", c.ID, err)
	}
	if bytes.Contains(j.Data, []byte(`\u0000`)) {
		return j, fmt.Errorf("encode data of campaign %q: %w", c.ID, errJSONNUL) // PostgreSQL's jsonb refuses it
	}
	if j.Schedule, err = json.Marshal(c.Schedule); err != nil {
		return j, fmt.Errorf("encode schedule of campaign %q: %w", c.ID, err)
	}
	return j, nil
}

// DecodeCampaign sets c's structured fields from their JSON; empty lists
// and maps come back nil.
func DecodeCampaign(c *outreach.Campaign, j CampaignJSON) error {
	c.Audience, c.Channels, c.Data, c.Schedule = outreach.Audience{}, nil, nil, outreach.Schedule{}
	for _, f := range []struct {
		name string
		raw  []byte
		dst  any
	}{
		{"audience", j.Audience, &c.Audience}, {"channels", j.Channels, &c.Channels},
		{"data", j.Data, &c.Data}, {"schedule", j.Schedule, &c.Schedule},
	} {
		if len(f.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return fmt.Errorf("decode %s of campaign %q: %w", f.name, c.ID, err)
		}
	}
	c.Channels = nilIfEmpty(c.Channels)
	c.Audience.Tags = nilIfEmpty(c.Audience.Tags)
	if len(c.Data) == 0 {
		c.Data = nil
	}
	if c.Schedule.At != nil {
		t := c.Schedule.At.UTC()
		c.Schedule.At = &t
	}
	return nil
}
