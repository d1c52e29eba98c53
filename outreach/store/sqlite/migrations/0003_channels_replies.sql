-- Delivery channels in depth. SMS segments and encoding, the time a
-- message was ready to go (queued_at, against sent_at: the rate limit's
-- wait), provider status callbacks by provider id, inbound replies
-- matched by phone number.

ALTER TABLE deliveries ADD COLUMN segments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN encoding TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN queued_at INTEGER;
CREATE INDEX deliveries_provider_id ON deliveries (provider_id);
CREATE INDEX residents_phone ON residents (phone);
CREATE TABLE replies (
	id          TEXT NOT NULL PRIMARY KEY,
	channel     TEXT NOT NULL,
	from_addr   TEXT NOT NULL DEFAULT '',
	resident_id TEXT NOT NULL DEFAULT '',
	delivery_id TEXT NOT NULL DEFAULT '',
	job_id      TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL DEFAULT '',
	received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX replies_resident_id ON replies (resident_id, received_at);
CREATE INDEX replies_received_at ON replies (received_at, id);
