-- The priority of the government or ministry, or the public policy, the product serves:
-- optional, and not counted in the vision's completeness.
alter table visions add column alignment text not null default '';
alter table vision_versions add column alignment text not null default '';
