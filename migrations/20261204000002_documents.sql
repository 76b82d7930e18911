-- Each indicator and each roadmap as one JSON document with what hangs from it (targets and
-- measurements; priorities, initiatives and risks), so that a page reads a whole section — or,
-- for a public link, everything it shows — in one statement. Views: the planner inlines them,
-- and the pages that read them share one definition.
create view objective_documents as
select o.id, o.product_id, o.position, o.created_at,
       json_build_object('id', o.id, 'title', o.title, 'description', o.description, 'position', o.position)
         as document
from objectives o;

create view indicator_documents as
select i.id, i.product_id, i.name,
       json_build_object(
         'id', i.id, 'objective_id', i.objective_id, 'name', i.name, 'kind', i.kind, 'unit', i.unit,
         'direction', i.direction, 'range_low', i.range_low, 'range_high', i.range_high,
         'baseline_value', i.baseline_value, 'baseline_date', i.baseline_date,
         'frequency', i.frequency, 'source', i.source, 'owner', i.owner, 'description', i.description,
         'version', i.version,
         'targets', coalesce((select json_agg(json_build_object('date', t.target_date, 'value', t.value)
                                              order by t.target_date)
                              from indicator_targets t where t.indicator_id = i.id), '[]'),
         'measurements', coalesce((select json_agg(json_build_object('id', m.id, 'date', m.measured_on,
                                                                     'value', m.value, 'comment', m.comment)
                                                   order by m.measured_on)
                                   from measurements m where m.indicator_id = i.id), '[]')
       ) as document
from indicators i;

create view roadmap_documents as
select r.id, r.product_id, r.start_month, r.end_month,
       json_build_object(
         'id', r.id, 'product_id', r.product_id, 'start_month', r.start_month, 'end_month', r.end_month,
         'margin', r.margin, 'version', r.version,
         'priorities', coalesce((select json_agg(o.objective_id order by o.position)
                                 from roadmap_objectives o where o.roadmap_id = r.id), '[]'),
         'initiatives', coalesce((select json_agg(json_build_object(
                                           'id', i.id, 'title', i.title, 'description', i.description, 'kind', i.kind,
                                           'status', i.status, 'objective_id', i.objective_id, 'starts_on', i.starts_on,
                                           'ends_on', i.ends_on, 'milestone_on', i.milestone_on, 'milestone', i.milestone)
                                         order by i.starts_on, i.title collate "fr-x-icu")
                                  from initiatives i where i.roadmap_id = r.id), '[]'),
         'risks', coalesce((select json_agg(json_build_object(
                                     'id', k.id, 'kind', k.kind, 'description', k.description, 'owner', k.owner,
                                     'likelihood', k.likelihood, 'impact', k.impact, 'mitigation', k.mitigation,
                                     'status', k.status)
                                   order by k.status, k.created_at)
                            from risks k where k.roadmap_id = r.id), '[]')
       ) as document
from roadmaps r;

create view person_documents as
select c.id, c.product_id, c.team, c.name,
       json_build_object('id', c.id, 'name', c.name, 'organisation', c.organisation, 'team', c.team,
                         'role_title', c.role_title, 'allocation', c.allocation, 'expectations', c.expectations,
                         'email', c.email, 'user_id', c.user_id, 'can_edit', c.can_edit) as document
from people c;
