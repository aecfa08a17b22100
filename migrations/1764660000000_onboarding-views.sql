-- The onboarding's view (the JSON of GET /onboardings/{id}, no personal data) with every change:
-- the newest on the onboarding row, which the API reads instead of asking the worker, and each
-- change's in onboarding_views, numbered by the record's seq, from which a stream resumes
-- (Last-Event-ID). Changes that alter only the view (a wrong code, KYC data received) have a seq
-- and a view but no trail event, so the trail may skip seqs. Each view written is announced on the
-- channel onboarding_views (pg_notify, in the writing transaction) to the API processes' listener.

-- Up Migration
ALTER TABLE onboardings ADD COLUMN view jsonb, ADD COLUMN view_seq integer;

CREATE TABLE onboarding_views (
  onboarding_id uuid NOT NULL REFERENCES onboardings (onboarding_id),
  seq integer NOT NULL CHECK (seq > 0),
  at timestamptz NOT NULL,
  view jsonb NOT NULL,
  PRIMARY KEY (onboarding_id, seq)
);

-- Down Migration
DROP TABLE onboarding_views;
ALTER TABLE onboardings DROP COLUMN view, DROP COLUMN view_seq;
