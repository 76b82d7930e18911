-- Products, their reference lists (directions, phases), members, phase history, and the audit trail.

create table directions (
    id         uuid primary key default gen_random_uuid(),
    name       text not null constraint directions_name_key unique,
    position   integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
insert into directions (name, position) values
    ('Santé', 1), ('Offre de soins', 2), ('Travail et emploi', 3),
    ('Solidarités et cohésion sociale', 4), ('Transverse', 5);

create table phases (
    id         uuid primary key default gen_random_uuid(),
    name       text not null constraint phases_name_key unique,
    position   integer not null,
    optional   boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
insert into phases (name, position, optional) values
    ('Idée', 1, false), ('POC', 2, true), ('MVP', 3, false),
    ('Construction', 4, false), ('Généralisation', 5, false), ('Arrêt', 6, false);

create table products (
    id                uuid primary key default gen_random_uuid(),
    slug              text not null constraint products_slug_key unique,
    name              text not null,
    description       text not null default '',
    direction_id      uuid not null references directions (id),
    typology          text not null constraint products_typology_check check (typology in (
                          'dossiers', 'contenus', 'demarches', 'elections', 'tableaux-de-bord',
                          'cartographie', 'donnees-api', 'statistiques', 'documents', 'finances')),
    public_url        text,
    repository_url    text,
    stats_url         text,
    rgaa              text not null default 'non' constraint products_rgaa_check check (rgaa in ('non', 'partiel', 'total')),
    dsfr              boolean not null default false,
    homologated       boolean not null default false,
    homologation_date date,
    rgpd_register     boolean not null default false,
    phase_id          uuid not null references phases (id),
    phase_since       date not null,
    archived_at       timestamptz,
    version           integer not null default 1,
    created_by        uuid references users (id),
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create index products_direction_idx on products (direction_id);
create index products_phase_idx on products (phase_id);

-- Slugs a product had before a rename: their URLs redirect to the current one.
create table product_old_slugs (
    slug       text primary key,
    product_id uuid not null references products (id),
    created_at timestamptz not null default now()
);
create index product_old_slugs_product_idx on product_old_slugs (product_id);

-- Who may edit a product (besides admins).
create table product_members (
    product_id uuid not null references products (id),
    user_id    uuid not null references users (id),
    created_at timestamptz not null default now(),
    primary key (product_id, user_id)
);
create index product_members_user_idx on product_members (user_id);

create table phase_changes (
    id            uuid primary key default gen_random_uuid(),
    product_id    uuid not null references products (id),
    from_phase_id uuid references phases (id),
    phase_id      uuid not null references phases (id),
    changed_on    date not null,
    comment       text not null,
    decision      text constraint phase_changes_decision_check check (decision in ('go', 'no-go', 'pivot', 'arret')),
    changed_by    uuid references users (id),
    created_at    timestamptz not null default now()
);
create index phase_changes_product_idx on phase_changes (product_id, changed_on desc, created_at desc);

-- Every change: who, when, what, before / after. Written in the same transaction as the change.
create table audit_events (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default now(),
    actor_id    uuid references users (id),
    actor_name  text not null,
    product_id  uuid references products (id),
    entity      text not null,
    entity_id   uuid,
    action      text not null,
    changes     jsonb not null default '[]'
);
create index audit_events_product_idx on audit_events (product_id, id desc);

-- The audit trail is append-only for the application.
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_events is append-only';
end;
$$;
create trigger audit_events_no_update_or_delete
    before update or delete on audit_events
    for each row execute function audit_events_append_only();
