-- Delivery channels in depth. SMS segments and encoding, the time a
-- message was ready to go (queued_at, against sent_at: the rate limit's
-- wait), provider status callbacks by provider id, inbound replies
-- matched by phone number.

ALTER TABLE deliveries ADD COLUMN segments integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN encoding text NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN queued_at timestamptz;
CREATE INDEX deliveries_provider_id ON deliveries (provider_id);
CREATE INDEX residents_phone ON residents (phone);
CREATE TABLE replies (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	channel     text NOT NULL,
	from_addr   text NOT NULL DEFAULT '',
	resident_id text NOT NULL DEFAULT '',
	delivery_id text NOT NULL DEFAULT '',
	job_id      text NOT NULL DEFAULT '',
	body        text NOT NULL DEFAULT '',
	action      text NOT NULL DEFAULT '',
	received_at timestamptz NOT NULL
);
CREATE INDEX replies_resident_id ON replies (resident_id, received_at);
CREATE INDEX replies_received_at ON replies (received_at, id);
