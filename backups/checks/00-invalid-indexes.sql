-- Every index the restore built must be valid and ready (a failed CREATE INDEX leaves an invalid one).
SELECT i.indexrelid::regclass::text AS index_name, i.indrelid::regclass::text AS table_name
FROM pg_index i
WHERE NOT i.indisvalid OR NOT i.indisready;
