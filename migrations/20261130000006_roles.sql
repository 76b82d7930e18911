-- The people of a product (with or without an account) and its RACI matrix.

create table people (
    id           uuid primary key default gen_random_uuid(),
    product_id   uuid not null references products (id),
    name         text not null,
    organisation text not null default '',
    team         text not null constraint people_team_check check (team in ('dnum', 'metier', 'prestataire', 'autre')),
    role_title   text not null default '',
    allocation   integer constraint people_allocation_check check (allocation between 0 and 100),
    expectations text not null default '',
    email        text not null default '',
    user_id      uuid references users (id),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
create index people_product_idx on people (product_id);

create table raci_activities (
    id         uuid primary key default gen_random_uuid(),
    product_id uuid not null references products (id),
    name       text not null,
    position   integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index raci_activities_product_idx on raci_activities (product_id, position);

create table raci_cells (
    activity_id uuid not null references raci_activities (id) on delete cascade,
    person_id   uuid not null references people (id) on delete cascade,
    letter      text not null constraint raci_cells_letter_check check (letter in ('R', 'A', 'C', 'I')),
    primary key (activity_id, person_id)
);

-- The matrix is edited as one section, with its own version.
alter table products add column raci_version integer not null default 1;

-- Every product starts with the standard activities.
insert into raci_activities (product_id, name, position)
select p.id, a.name, a.position
from products p
cross join (values
    ('Porter la vision', 1), ('Définir objectifs et indicateurs', 2), ('Mener la conception', 3),
    ('Piloter la livraison', 4), ('Conformité légale (RGPD, CNIL)', 5),
    ('Conformité aux référentiels (RGAA, RGS, RGESN)', 6), ('Animer rituels et comités', 7),
    ('Suivi budgétaire', 8), ('Déploiement et support', 9), ('Communication et animation de la communauté', 10)
) as a(name, position);
