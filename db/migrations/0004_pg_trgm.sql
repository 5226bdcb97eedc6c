-- Trigram indexes for the ticket list's text search (q=), created in the next migration.
-- pg_trgm ships with PostgreSQL and is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
