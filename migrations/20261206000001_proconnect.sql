-- Identities at an OpenID provider (ProConnect) linked to accounts. An identity is its
-- (issuer, subject): an e-mail alone never links anything.
create table user_identities (
    issuer        text not null,
    subject       text not null,
    user_id       uuid not null references users (id) on delete cascade,
    -- The e-mail the provider gave at the last login, for the administrators' list.
    email         text not null,
    linked_at     timestamptz not null default now(),
    last_login_at timestamptz not null default now(),
    -- How the agent authenticated at the provider, as it said at the last login.
    last_acr      text,
    last_amr      text[] not null default '{}',
    primary key (issuer, subject)
);
create index user_identities_user_idx on user_identities (user_id);

-- An administrator's invitation to link an existing account to the agent's ProConnect identity:
-- taken once, at the first ProConnect login with that account's verified e-mail.
alter table users
    add column identity_invited_at timestamptz,
    add column identity_invited_by uuid references users (id);
