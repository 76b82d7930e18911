-- The ProConnect logins started and not yet finished, by the SHA-256 of their `state`: the
-- return takes its row out with `delete … returning`, so that a state serves once even when two
-- returns of the same browser arrive at the same moment on two instances.
create table oidc_logins (
    state_hash text primary key,
    started_at timestamptz not null default now()
);
create index oidc_logins_started_idx on oidc_logins (started_at);
