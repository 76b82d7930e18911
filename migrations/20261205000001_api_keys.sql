-- Keys of the JSON API (`/api/v1`). A product's key is created by its editors and reads that
-- product (scope `lecture`) or also pushes its measurements (`mesures`); a portfolio key
-- (product_id null) is created by an administrator and only reads. The key itself is shown
-- once: only its SHA-256 is kept, with a visible prefix to recognise it in the list.
create table api_keys (
    id           uuid primary key default gen_random_uuid(),
    product_id   uuid references products (id) on delete cascade,
    label        text not null,
    scope        text not null constraint api_keys_scope_check check (scope in ('lecture', 'mesures')),
    prefix       text not null,
    key_hash     bytea not null constraint api_keys_key_hash_key unique,
    created_by   uuid references users (id),
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    last_used_ip text,
    constraint api_keys_portfolio_reads_only check (product_id is not null or scope = 'lecture')
);
create index api_keys_product_idx on api_keys (product_id);

-- Requests per key and minute: the rate limit, agreed between instances.
create table api_hits (
    key_id uuid not null references api_keys (id) on delete cascade,
    minute timestamptz not null,
    hits   integer not null default 0,
    primary key (key_id, minute)
);
