package api

import (
	"errors"

	"github.com/outreach-dev/outreach/queue"
)

func asAPIError(err error, target **queue.APIError) bool { return errors.As(err, target) }
