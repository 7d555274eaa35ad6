/**
 * One statement naming the table a store's name resolves to, as the server sees it: `sessions` and
 * `public.sessions` (or the same table through two connection URLs) resolve alike. `to_regclass`
 * follows the search path and gives NULL for a missing table.
 */
export const tableIdentityStatement =
  "SELECT concat_ws('/', inet_server_addr()::text, inet_server_port()::text, current_database(), n.nspname, c.relname) AS identity " +
  "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)";
