-- A number that moves with every change to a product: every write refreshes the product's
-- health in its transaction, and that refresh takes the next number. Pages use it as their
-- validator (`ETag`) instead of counting audit events on every view.
create sequence product_revisions;
alter table product_health add column revision bigint not null default nextval('product_revisions');
