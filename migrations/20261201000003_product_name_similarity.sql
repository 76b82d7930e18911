-- Creating a product whose name is close to an existing one warns first: the DNUM works to
-- reduce duplicate products. Trigram similarity of the names, lower-cased and without accents.
create extension if not exists pg_trgm;
create extension if not exists unaccent;
