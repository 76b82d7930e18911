-- What the dashboard shows of each product (vision completeness and review, indicators by
-- status, roadmap, RACI problems), computed in the transaction of every change to the product
-- and stored here, so that reading the dashboard recomputes nothing. Part of it depends on the
-- date: a row is true until `valid_until`, then recomputed.
create table product_health (
    product_id  uuid primary key references products (id) on delete cascade,
    health      jsonb not null,
    valid_until date not null
);
create index product_health_valid_until_idx on product_health (valid_until);
