-- Every CHECK and foreign key must be validated after the restore (NOT VALID constraints hide bad rows).
SELECT conrelid::regclass::text AS table_name, conname AS constraint_name, contype
FROM pg_constraint
WHERE NOT convalidated AND contype IN ('c', 'f');
