// Package deps pins the module's dependencies while the packages that use
// them are being written. Delete it once every dependency has a real user.
package deps

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/twilio/twilio-go"
	_ "github.com/twilio/twilio-go/client"
	_ "github.com/twilio/twilio-go/rest/api/v2010"
	_ "github.com/wneessen/go-mail"
	_ "go.uber.org/goleak"
	_ "modernc.org/sqlite"
)
