-- Nothing to do on PostgreSQL: its primary keys already refuse NULL. SQLite's twin of this
-- migration rebuilds its tables so that they do too (the schema-parity test compares both).
SELECT 1;
