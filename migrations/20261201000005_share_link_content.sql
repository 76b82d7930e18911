-- What a share link shows besides the roadmap: the vision statement, the indicators with their
-- status, and a contact among the product's people (kept when the person is removed: the link
-- then shows no contact).
alter table share_links
    add column show_vision boolean not null default false,
    add column show_indicators boolean not null default false,
    add column contact_id uuid references people (id) on delete set null;
