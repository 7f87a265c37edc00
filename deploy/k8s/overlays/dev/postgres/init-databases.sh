#!/usr/bin/env bash
# Runs once, when the data volume is empty (the image's /docker-entrypoint-initdb.d): one login
# role and one database per context, like production, and no role can connect to another's
# database. PostGIS is created here by the superuser because CREATE EXTENSION postgis needs
# one; the migrations' own CREATE EXTENSION IF NOT EXISTS then finds it. Trusted extensions
# (citext, pg_trgm, btree_gist) the owning roles create themselves.
set -euo pipefail
for ctx in catalog accounts trading messaging; do
  password_var="${ctx^^}_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v role="$ctx" -v password="${!password_var}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$ctx" \
    -c 'CREATE EXTENSION IF NOT EXISTS postgis;'
done
