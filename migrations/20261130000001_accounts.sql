-- Accounts, server-side sessions and failed-login records.

create table users (
    id            uuid primary key default gen_random_uuid(),
    email         text not null,
    display_name  text not null,
    role          text not null constraint users_role_check check (role in ('admin', 'editor', 'reader')),
    password_hash text not null,
    active        boolean not null default true,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
-- Emails are unique whatever their case.
create unique index users_email_key on users (lower(email));

-- Sessions live in PostgreSQL so that they survive restarts and are shared by every instance.
-- The cookie's session id is never stored: only its SHA-256.
create table sessions (
    id_hash    bytea primary key,
    user_id    uuid references users (id) on delete cascade,
    data       jsonb not null,
    expires_at timestamptz not null
);
create index sessions_user_id_idx on sessions (user_id);
create index sessions_expires_at_idx on sessions (expires_at);

-- Failed logins, kept for the throttling window only.
create table login_failures (
    id           bigint generated always as identity primary key,
    email        text not null,
    client_ip    text not null,
    attempted_at timestamptz not null default now()
);
create index login_failures_email_idx on login_failures (lower(email), attempted_at);
create index login_failures_ip_idx on login_failures (client_ip, attempted_at);
