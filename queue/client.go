package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// HTTPClient enqueues jobs over the daemon's HTTP API (POST /v1/jobs), for
// services that prefer HTTP to a Redis connection. It needs a token with
// the enqueue scope. It is safe for concurrent use.
//
//	c := queue.HTTPClient{BaseURL: "https://outreach.internal", Token: os.Getenv("OUTREACH_TOKEN")}
//	id, err := c.Enqueue(ctx, job, "wo-1042-closed")
type HTTPClient struct {
	// BaseURL is where the daemon listens (OUTREACH_HTTP_ADDR), e.g.
	// "http://outreach:8080"; /v1/jobs is added to it.
	BaseURL string
	// Token is the bearer token ("otk_..."), scope enqueue.
	Token string
	// HTTP is the client to use; nil means http.DefaultClient. Give it a
	// Timeout.
	HTTP *http.Client
}

// APIError is an error answer of the API: its status and JSON body.
type APIError struct {
	StatusCode int
	Message    string `json:"error"`
	Field      string `json:"field,omitempty"`
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("outreach API: %d: %s (field %s)", e.StatusCode, e.Message, e.Field)
	}
	return fmt.Sprintf("outreach API: %d: %s", e.StatusCode, e.Message)
}

// Temporary reports whether the same request may succeed later (5xx,
// 429): retry it with the same idempotency key. Any other error is the
// request's: 400 (the field named), 401, 403, 413, 422 (the key was used
// for another job).
func (e *APIError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// Enqueue posts job and returns its id. idempotencyKey, when not empty,
// is sent as the Idempotency-Key header and becomes the job id (a job id,
// if set, must equal it): retrying with the same key and job is safe, the
// job is sent once. Without a key the job's own ID plays that part; with
// neither the daemon assigns an id, and a retry may send twice.
//
// Errors from the API are *APIError (use errors.As); a transport error
// means the outcome is unknown, so retry with the same key.
func (c HTTPClient) Enqueue(ctx context.Context, job outreach.Job, idempotencyKey string) (string, error) {
	body, err := json.Marshal(job)
	if err != nil {
		return "", fmt.Errorf("enqueue over HTTP: encode job: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+"/v1/jobs", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("enqueue over HTTP: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("enqueue over HTTP: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("enqueue over HTTP: read answer: %w", err)
	}
	if res.StatusCode != http.StatusAccepted {
		apiErr := &APIError{StatusCode: res.StatusCode}
		if json.Unmarshal(raw, apiErr) != nil || apiErr.Message == "" {
			apiErr.Message = http.StatusText(res.StatusCode)
		}
		return "", apiErr
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", errors.New("enqueue over HTTP: 202 without a job id")
	}
	return out.ID, nil
}
