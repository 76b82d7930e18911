-- Objectives (qualitative ambitions), indicators that measure them, their targets and measurements.

create table objectives (
    id          uuid primary key default gen_random_uuid(),
    product_id  uuid not null references products (id),
    title       text not null,
    description text not null default '',
    position    integer not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index objectives_product_idx on objectives (product_id, position);

create table indicators (
    id             uuid primary key default gen_random_uuid(),
    product_id     uuid not null references products (id),
    objective_id   uuid references objectives (id) on delete set null,
    name           text not null,
    kind           text not null constraint indicators_kind_check check (kind in ('succes', 'impact', 'direction')),
    unit           text not null,
    direction      text not null constraint indicators_direction_check check (direction in ('hausse', 'baisse', 'plage')),
    range_low      double precision,
    range_high     double precision,
    baseline_value double precision not null,
    baseline_date  date not null,
    frequency      text not null constraint indicators_frequency_check check (frequency in ('hebdomadaire', 'mensuelle', 'trimestrielle', 'annuelle')),
    source         text not null,
    owner          text not null default '',
    description    text not null default '',
    version        integer not null default 1,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create index indicators_product_idx on indicators (product_id);

create table indicator_targets (
    indicator_id uuid not null references indicators (id) on delete cascade,
    target_date  date not null,
    value        double precision not null,
    primary key (indicator_id, target_date)
);

create table measurements (
    id           uuid primary key default gen_random_uuid(),
    indicator_id uuid not null references indicators (id) on delete cascade,
    measured_on  date not null,
    value        double precision not null,
    comment      text not null default '',
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint measurements_one_per_date unique (indicator_id, measured_on)
);

-- Indicator names are unique within a product: the CSV import finds indicators by name.
create unique index indicators_product_name_key on indicators (product_id, lower(name));
