-- Every entity has its name's key (0005 filled it in). A migration of its own: DuckDB cannot set
-- NOT NULL in the transaction that filled the column. (A lake skips this: it cannot check it.)
alter table entities alter column name_norm set not null;
