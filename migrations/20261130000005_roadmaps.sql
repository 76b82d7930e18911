-- Roadmaps of 3 to 6 whole months, their four parts, and revocable public share links.

create table roadmaps (
    id          uuid primary key default gen_random_uuid(),
    product_id  uuid not null references products (id),
    -- First day of the first and of the last month covered.
    start_month date not null,
    end_month   date not null,
    margin      integer not null default 20 constraint roadmaps_margin_check check (margin between 0 and 50),
    version     integer not null default 1,
    created_by  uuid references users (id),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint roadmaps_window_check check (
        extract(day from start_month) = 1 and extract(day from end_month) = 1
        and end_month >= start_month + interval '2 months' and end_month <= start_month + interval '5 months')
);
create index roadmaps_product_idx on roadmaps (product_id, start_month desc);

create table roadmap_objectives (
    roadmap_id   uuid not null references roadmaps (id) on delete cascade,
    objective_id uuid not null references objectives (id) on delete cascade,
    position     integer not null,
    primary key (roadmap_id, objective_id)
);

create table initiatives (
    id           uuid primary key default gen_random_uuid(),
    roadmap_id   uuid not null references roadmaps (id) on delete cascade,
    title        text not null,
    description  text not null default '',
    kind         text not null constraint initiatives_kind_check check (kind in ('fonctionnalite', 'experimentation', 'action')),
    status       text not null constraint initiatives_status_check check (status in ('prevue', 'en-cours', 'terminee', 'abandonnee')),
    objective_id uuid references objectives (id) on delete set null,
    starts_on    date not null,
    ends_on      date not null,
    milestone_on date,
    milestone    text not null default '',
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint initiatives_dates_check check (ends_on >= starts_on)
);
create index initiatives_roadmap_idx on initiatives (roadmap_id, starts_on);

create table risks (
    id          uuid primary key default gen_random_uuid(),
    roadmap_id  uuid not null references roadmaps (id) on delete cascade,
    kind        text not null constraint risks_kind_check check (kind in ('dependance', 'risque')),
    description text not null,
    owner       text not null default '',
    likelihood  text not null constraint risks_likelihood_check check (likelihood in ('faible', 'moyen', 'fort')),
    impact      text not null constraint risks_impact_check check (impact in ('faible', 'moyen', 'fort')),
    mitigation  text not null default '',
    status      text not null constraint risks_status_check check (status in ('ouvert', 'maitrise', 'clos')),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index risks_roadmap_idx on risks (roadmap_id);

-- Public read-only links. Only the SHA-256 of the token is kept; roadmap_id null means
-- "the product's current roadmap, whichever it is when the link is opened".
create table share_links (
    id             uuid primary key default gen_random_uuid(),
    product_id     uuid not null references products (id),
    roadmap_id     uuid references roadmaps (id) on delete cascade,
    token_hash     bytea not null constraint share_links_token_key unique,
    label          text not null default '',
    created_by     uuid references users (id),
    created_at     timestamptz not null default now(),
    expires_at     timestamptz not null,
    revoked_at     timestamptz,
    views          bigint not null default 0,
    last_viewed_at timestamptz
);
create index share_links_product_idx on share_links (product_id);

-- Requests to public links per client address and minute, for rate limiting across instances.
create table share_hits (
    client_ip text not null,
    minute    timestamptz not null,
    hits      integer not null default 0,
    primary key (client_ip, minute)
);

alter table settings add column share_max_days integer not null default 180
    constraint settings_share_max_days_check check (share_max_days between 1 and 365);
