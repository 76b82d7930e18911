-- One list of a product's people. A person linked to an account may be allowed to edit the
-- product's sheet (what "membership" was: members become such people), and the vision credits
-- people, business people included, instead of accounts.

-- An account is one person of a product at most (the oldest person keeps the link).
update people p set user_id = null
where p.user_id is not null
  and exists (select 1 from people q
              where q.product_id = p.product_id and q.user_id = p.user_id
                and (q.created_at, q.id) < (p.created_at, p.id));
create unique index people_product_user_key on people (product_id, user_id) where user_id is not null;

alter table people
    add column can_edit boolean not null default false,
    add constraint people_can_edit_account check (not can_edit or user_id is not null);

-- Accounts named as members or as contributors of the vision, and not yet among the people.
insert into people (product_id, name, team, email, user_id)
select distinct on (a.product_id, a.user_id) a.product_id, u.display_name, 'dnum', u.email, a.user_id
from (select product_id, user_id from product_members
      union select product_id, user_id from vision_contributors) a
join users u on u.id = a.user_id
where not exists (select 1 from people p where p.product_id = a.product_id and p.user_id = a.user_id);

-- Only accounts that can still edit keep the right (deactivated accounts and readers do not).
update people p set can_edit = true
from product_members m join users u on u.id = m.user_id
where m.product_id = p.product_id and m.user_id = p.user_id
  and u.active and u.role in ('editor', 'admin');

create table vision_credits (
    product_id uuid not null references products (id),
    person_id  uuid not null references people (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (product_id, person_id)
);

insert into vision_credits (product_id, person_id, created_at)
select c.product_id, p.id, c.created_at
from vision_contributors c join people p on p.product_id = c.product_id and p.user_id = c.user_id;

drop table vision_contributors;
drop table product_members;
