-- Platform updates already handled, so a redelivered update (retry, restart, webhook
-- redelivery) changes state once. The highest id per channel is the last processed update.
CREATE TABLE processed_updates (
    channel     TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, update_id)
);
