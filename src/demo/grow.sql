-- Copies of the demo products, with everything they hold, until the portfolio counts the
-- products asked for. `{copies}` and `{missing}` are integers written in by demo::grow.
create temp table grow_products on commit drop as
  select p.id as old_id, gen_random_uuid() as new_id, k,
         row_number() over (order by k, p.name) as n
  from products p cross join generate_series(
         coalesce((select max(substring(slug from '-c(\d+)$')::int) from products), 0) + 1,
         coalesce((select max(substring(slug from '-c(\d+)$')::int) from products), 0) + {copies}) k
  where p.archived_at is null and p.slug !~ '-c\d+$';
delete from grow_products where n > {missing};

insert into products (id, slug, name, description, direction_id, typology, public_url, repository_url,
                      stats_url, rgaa, dsfr, homologated, homologation_date, rgpd_register, phase_id,
                      phase_since, created_by, created_at, updated_at)
  select g.new_id, p.slug || '-c' || g.k, p.name || ' ' || g.k, p.description, p.direction_id, p.typology,
         p.public_url, p.repository_url, p.stats_url, p.rgaa, p.dsfr, p.homologated, p.homologation_date,
         p.rgpd_register, p.phase_id, p.phase_since, p.created_by, p.created_at, p.updated_at
  from grow_products g join products p on p.id = g.old_id;

insert into phase_changes (product_id, from_phase_id, phase_id, changed_on, comment, decision, changed_by, created_at)
  select g.new_id, c.from_phase_id, c.phase_id, c.changed_on, c.comment, c.decision, c.changed_by, c.created_at
  from grow_products g join phase_changes c on c.product_id = g.old_id;

insert into visions (product_id, statement, raison_detre, users, problems, solution, impact, alignment,
                     version, edited_at, edited_by, reviewed_at, reviewed_by, created_at, updated_at)
  select g.new_id, v.statement, v.raison_detre, v.users, v.problems, v.solution, v.impact, v.alignment,
         v.version, v.edited_at, v.edited_by, v.reviewed_at, v.reviewed_by, v.created_at, v.updated_at
  from grow_products g join visions v on v.product_id = g.old_id;

insert into vision_versions (product_id, number, statement, raison_detre, users, problems, solution, impact,
                             alignment, contributors, restored_from, saved_by, saved_by_name, saved_at)
  select g.new_id, v.number, v.statement, v.raison_detre, v.users, v.problems, v.solution, v.impact,
         v.alignment, v.contributors, v.restored_from, v.saved_by, v.saved_by_name, v.saved_at
  from grow_products g join vision_versions v on v.product_id = g.old_id;

create temp table grow_people on commit drop as
  select x.id as old_id, gen_random_uuid() as new_id, g.new_id as product_id
  from grow_products g join people x on x.product_id = g.old_id;
insert into people (id, product_id, name, organisation, team, role_title, allocation, expectations, email,
                    user_id, can_edit)
  select m.new_id, m.product_id, x.name, x.organisation, x.team, x.role_title, x.allocation, x.expectations,
         x.email, x.user_id, x.can_edit
  from grow_people m join people x on x.id = m.old_id;
insert into vision_credits (product_id, person_id)
  select m.product_id, m.new_id from grow_people m join vision_credits c on c.person_id = m.old_id;

create temp table grow_objectives on commit drop as
  select x.id as old_id, gen_random_uuid() as new_id, g.new_id as product_id
  from grow_products g join objectives x on x.product_id = g.old_id;
insert into objectives (id, product_id, title, description, position)
  select m.new_id, m.product_id, x.title, x.description, x.position
  from grow_objectives m join objectives x on x.id = m.old_id;

create temp table grow_indicators on commit drop as
  select x.id as old_id, gen_random_uuid() as new_id, g.new_id as product_id
  from grow_products g join indicators x on x.product_id = g.old_id;
insert into indicators (id, product_id, objective_id, name, kind, unit, direction, range_low, range_high,
                        baseline_value, baseline_date, frequency, source, owner, description)
  select m.new_id, m.product_id, o.new_id, x.name, x.kind, x.unit, x.direction, x.range_low, x.range_high,
         x.baseline_value, x.baseline_date, x.frequency, x.source, x.owner, x.description
  from grow_indicators m join indicators x on x.id = m.old_id
  left join grow_objectives o on o.old_id = x.objective_id and o.product_id = m.product_id;
insert into indicator_targets (indicator_id, target_date, value)
  select m.new_id, t.target_date, t.value from grow_indicators m join indicator_targets t on t.indicator_id = m.old_id;
insert into measurements (indicator_id, measured_on, value, comment)
  select m.new_id, x.measured_on, x.value, x.comment from grow_indicators m join measurements x on x.indicator_id = m.old_id;

create temp table grow_roadmaps on commit drop as
  select x.id as old_id, gen_random_uuid() as new_id, g.new_id as product_id
  from grow_products g join roadmaps x on x.product_id = g.old_id;
insert into roadmaps (id, product_id, start_month, end_month, margin, created_by)
  select m.new_id, m.product_id, x.start_month, x.end_month, x.margin, x.created_by
  from grow_roadmaps m join roadmaps x on x.id = m.old_id;
insert into roadmap_objectives (roadmap_id, objective_id, position)
  select m.new_id, o.new_id, x.position
  from grow_roadmaps m join roadmap_objectives x on x.roadmap_id = m.old_id
  join grow_objectives o on o.old_id = x.objective_id and o.product_id = m.product_id;
insert into initiatives (roadmap_id, title, description, kind, status, objective_id, starts_on, ends_on,
                         milestone_on, milestone)
  select m.new_id, x.title, x.description, x.kind, x.status, o.new_id, x.starts_on, x.ends_on,
         x.milestone_on, x.milestone
  from grow_roadmaps m join initiatives x on x.roadmap_id = m.old_id
  left join grow_objectives o on o.old_id = x.objective_id and o.product_id = m.product_id;
insert into risks (roadmap_id, kind, description, owner, likelihood, impact, mitigation, status)
  select m.new_id, x.kind, x.description, x.owner, x.likelihood, x.impact, x.mitigation, x.status
  from grow_roadmaps m join risks x on x.roadmap_id = m.old_id;

create temp table grow_activities on commit drop as
  select x.id as old_id, gen_random_uuid() as new_id, g.new_id as product_id
  from grow_products g join raci_activities x on x.product_id = g.old_id;
insert into raci_activities (id, product_id, name, position)
  select m.new_id, m.product_id, x.name, x.position
  from grow_activities m join raci_activities x on x.id = m.old_id;
insert into raci_cells (activity_id, person_id, letter)
  select a.new_id, p.new_id, c.letter
  from raci_cells c join grow_activities a on a.old_id = c.activity_id
  join grow_people p on p.old_id = c.person_id and p.product_id = a.product_id;
