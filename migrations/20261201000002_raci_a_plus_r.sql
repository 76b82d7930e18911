-- One person may both be accountable for an activity and carry it out: the cell "A+R".
alter table raci_cells drop constraint raci_cells_letter_check;
alter table raci_cells add constraint raci_cells_letter_check check (letter in ('R', 'A', 'A+R', 'C', 'I'));
