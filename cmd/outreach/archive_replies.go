package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
)

// archiveRepliesCmd prints the replies residents sent (SMS answers,
// STOP), newest first, with the job each answers.
type archiveRepliesCmd struct {
	Resident string `placeholder:"ID" help:"resident id"`
	Job      string `placeholder:"ID" help:"job id the reply answers"`
	Estate   string `placeholder:"E" help:"the replying resident's estate"`
	Limit    int    `default:"100" placeholder:"N" help:"most replies to print"`
	Since    string `placeholder:"T" help:"RFC 3339 time, or a period such as 24h or 7d (that long ago)"`
	listFlags
}

func (c *archiveRepliesCmd) run(ctx context.Context, e *env) int {
	f := outreach.Filter{ResidentID: c.Resident, JobID: c.Job, Estate: c.Estate, Limit: c.Limit}
	var err error
	if f.Since, err = parseWhen(c.Since); err != nil {
		return e.fail("archive replies", fmt.Errorf("--since: %w", err))
	}
	st, _, status := e.openStore(ctx, "archive replies")
	if st == nil {
		return status
	}
	defer st.Close()
	rs, err := st.Replies(ctx, f)
	if err != nil {
		return e.fail("archive replies", err)
	}
	if c.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return e.fail("archive replies", err)
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tRESIDENT\tCHANNEL\tJOB\tACTION\tTEXT")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ReceivedAt.Local().Format("2006-01-02 15:04:05"),
			r.ResidentID, r.Channel, r.JobID, r.Action, truncate(r.Body, 60))
	}
	_ = tw.Flush()
	return 0
}
