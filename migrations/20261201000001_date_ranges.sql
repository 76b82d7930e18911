-- Dates typed by people are between 1900 and 2200. Before this, a measurement dated year -1
-- (stored as 0002 BC) could be saved and then hid every measurement of its indicator. Rows
-- out of range are brought to the nearest bound (where a measurement already exists on that
-- date, the out-of-range one is dropped), then every such column is checked.

create function pg_temp.clamp_day(d date) returns date language sql immutable as $$
    select least(greatest(d, date '1900-01-01'), date '2200-12-31')
$$;

update products set homologation_date = pg_temp.clamp_day(homologation_date)
    where homologation_date <> pg_temp.clamp_day(homologation_date);
update products set phase_since = pg_temp.clamp_day(phase_since)
    where phase_since <> pg_temp.clamp_day(phase_since);
update phase_changes set changed_on = pg_temp.clamp_day(changed_on)
    where changed_on <> pg_temp.clamp_day(changed_on);
update indicators set baseline_date = pg_temp.clamp_day(baseline_date)
    where baseline_date <> pg_temp.clamp_day(baseline_date);

delete from indicator_targets t
    where t.target_date <> pg_temp.clamp_day(t.target_date)
      and exists (select 1 from indicator_targets o
                  where o.indicator_id = t.indicator_id and o.target_date = pg_temp.clamp_day(t.target_date));
-- Two out-of-range targets of one indicator on the same side: keep one (the nearest the bound).
delete from indicator_targets t
    where t.target_date <> pg_temp.clamp_day(t.target_date)
      and exists (select 1 from indicator_targets o
                  where o.indicator_id = t.indicator_id and o.ctid <> t.ctid
                    and pg_temp.clamp_day(o.target_date) = pg_temp.clamp_day(t.target_date)
                    and o.target_date <> pg_temp.clamp_day(o.target_date)
                    and (abs(o.target_date - pg_temp.clamp_day(o.target_date)), o.ctid)
                        < (abs(t.target_date - pg_temp.clamp_day(t.target_date)), t.ctid));
update indicator_targets set target_date = pg_temp.clamp_day(target_date)
    where target_date <> pg_temp.clamp_day(target_date);

delete from measurements m
    where m.measured_on <> pg_temp.clamp_day(m.measured_on)
      and exists (select 1 from measurements o
                  where o.indicator_id = m.indicator_id and o.measured_on = pg_temp.clamp_day(m.measured_on));
-- Two out-of-range measurements of one indicator on the same side: keep the latest entered.
delete from measurements m
    where m.measured_on <> pg_temp.clamp_day(m.measured_on)
      and exists (select 1 from measurements o
                  where o.indicator_id = m.indicator_id and o.id <> m.id
                    and pg_temp.clamp_day(o.measured_on) = pg_temp.clamp_day(m.measured_on)
                    and o.measured_on <> pg_temp.clamp_day(o.measured_on)
                    and (o.created_at, o.id) > (m.created_at, m.id));
update measurements set measured_on = pg_temp.clamp_day(measured_on)
    where measured_on <> pg_temp.clamp_day(measured_on);

update initiatives set starts_on = pg_temp.clamp_day(starts_on), ends_on = pg_temp.clamp_day(ends_on),
                       milestone_on = pg_temp.clamp_day(milestone_on)
    where starts_on <> pg_temp.clamp_day(starts_on) or ends_on <> pg_temp.clamp_day(ends_on)
       or milestone_on <> pg_temp.clamp_day(milestone_on);

-- A roadmap keeps its length in months when moved inside the range (`age`, not the years:
-- there is no year 0).
create function pg_temp.months_between(a date, b date) returns int language sql immutable as $$
    select (extract(year from age(b, a)) * 12 + extract(month from age(b, a)))::int
$$;
update roadmaps set
    end_month = date '1900-01-01' + make_interval(months => pg_temp.months_between(start_month, end_month)),
    start_month = date '1900-01-01'
    where start_month < date '1900-01-01';
update roadmaps set
    start_month = date '2200-12-01' - make_interval(months => pg_temp.months_between(start_month, end_month)),
    end_month = date '2200-12-01'
    where end_month > date '2200-12-31';

alter table products
    add constraint products_homologation_date_range check (homologation_date between '1900-01-01' and '2200-12-31'),
    add constraint products_phase_since_range check (phase_since between '1900-01-01' and '2200-12-31');
alter table phase_changes
    add constraint phase_changes_changed_on_range check (changed_on between '1900-01-01' and '2200-12-31');
alter table indicators
    add constraint indicators_baseline_date_range check (baseline_date between '1900-01-01' and '2200-12-31');
alter table indicator_targets
    add constraint indicator_targets_target_date_range check (target_date between '1900-01-01' and '2200-12-31');
alter table measurements
    add constraint measurements_measured_on_range check (measured_on between '1900-01-01' and '2200-12-31');
alter table initiatives
    add constraint initiatives_dates_range check (
        starts_on between '1900-01-01' and '2200-12-31'
        and ends_on between '1900-01-01' and '2200-12-31'
        and (milestone_on is null or milestone_on between '1900-01-01' and '2200-12-31'));
alter table roadmaps
    add constraint roadmaps_months_range check (
        start_month between '1900-01-01' and '2200-12-31'
        and end_month between '1900-01-01' and '2200-12-31');
