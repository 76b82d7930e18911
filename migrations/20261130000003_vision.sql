-- The vision of each product, its saved versions, who co-built it, and the review period.

create table visions (
    product_id       uuid primary key references products (id),
    statement        text not null default '',
    raison_detre     text not null default '',
    users            text not null default '',
    problems         text not null default '',
    solution         text not null default '',
    impact           text not null default '',
    -- 0 until the first save.
    version          integer not null default 0,
    edited_at        timestamptz,
    edited_by        uuid references users (id),
    reviewed_at      timestamptz,
    reviewed_by      uuid references users (id),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
insert into visions (product_id) select id from products;

-- Accounts that took part in writing the vision.
create table vision_contributors (
    product_id uuid not null references products (id),
    user_id    uuid not null references users (id),
    created_at timestamptz not null default now(),
    primary key (product_id, user_id)
);

-- Every saved version, never rewritten: restoring an old version saves a new one.
create table vision_versions (
    product_id    uuid not null references products (id),
    number        integer not null,
    statement     text not null,
    raison_detre  text not null,
    users         text not null,
    problems      text not null,
    solution      text not null,
    impact        text not null,
    contributors  text not null default '',
    restored_from integer,
    saved_by      uuid references users (id),
    saved_by_name text not null,
    saved_at      timestamptz not null default now(),
    primary key (product_id, number)
);

-- Settings an administrator can change; one row.
create table settings (
    id                    boolean primary key default true constraint settings_single_row check (id),
    vision_review_months  integer not null default 6 constraint settings_review_months_check check (vision_review_months between 1 and 36),
    updated_at            timestamptz not null default now()
);
insert into settings default values;
