-- The onboarding record: one row per onboarding (its ids, where it stands, how it ended; the person
-- only as keyed hashes) and the append-only trail of its changes, numbered per onboarding by the
-- workflow that writes them.

-- Up Migration
CREATE TABLE onboardings (
  onboarding_id uuid PRIMARY KEY,
  user_type text NOT NULL,
  external_ref text,
  resumed_from uuid,
  tennpay_user_id bigint,
  individual_id bigint,
  partner_user_id text,
  external_user_id text,
  verification_id text,
  stage text NOT NULL,
  stage_entered_at timestamptz NOT NULL,
  end_reason text,
  ended_at timestamptz,
  -- HMAC-SHA256 of the normalized e-mail and phone number (src/record/person-hash.ts); erased
  -- RECORD_PERSONAL_DATA_RETENTION after the end, when personal_data_erased_at is set.
  email_hash bytea,
  phone_hash bytea,
  personal_data_erased_at timestamptz,
  -- The seq of the newest change applied to this row: a late, older change never overwrites it.
  last_seq integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX onboardings_email_hash ON onboardings (email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX onboardings_phone_hash ON onboardings (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX onboardings_stage ON onboardings (stage);
CREATE INDEX onboardings_personal_data_until ON onboardings (ended_at)
  WHERE ended_at IS NOT NULL AND personal_data_erased_at IS NULL;

CREATE TABLE onboarding_events (
  onboarding_id uuid NOT NULL REFERENCES onboardings (onboarding_id),
  seq integer NOT NULL CHECK (seq > 0),
  at timestamptz NOT NULL,
  type text NOT NULL CHECK (type IN ('STAGE_CHANGED', 'OPS_ACTION', 'PROVIDER_FAILURE', 'MESSAGE_REFUSED')),
  payload jsonb NOT NULL,
  PRIMARY KEY (onboarding_id, seq)
);

-- The trail is append-only: no change or removal, whoever connects.
CREATE FUNCTION onboarding_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'onboarding_events is append-only';
END;
$$;
CREATE TRIGGER onboarding_events_append_only
  BEFORE UPDATE OR DELETE ON onboarding_events
  FOR EACH ROW EXECUTE FUNCTION onboarding_events_append_only();

-- Down Migration
DROP TABLE onboarding_events;
DROP FUNCTION onboarding_events_append_only();
DROP TABLE onboardings;
