/** A validated table name, with its SQL spelling (each part double-quoted). */
export interface TableName {
  /** As the user wrote it: `sessions` or `app.sessions`. */
  readonly name: string;
  /** Quoted for SQL: `"sessions"` or `"app"."sessions"`. */
  readonly sql: string;
}

// Letters, digits, `_` and `$`, not starting with a digit, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1).
// Being strict here is what makes quoting safe: no quote, dot, space or NUL can reach the SQL text.
const identifier = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Validates `tableName` as an SQL identifier or `schema.table` and quotes it. Quoting keeps the case,
 * as Prisma's `@@map("Sessions")` does.
 * @throws TypeError naming the option, before any SQL is built.
 */
export function parseTableName(tableName: unknown): TableName {
  if (typeof tableName !== "string") {
    throw new TypeError(`tableName must be a string, got ${typeof tableName}`);
  }
  const parts = tableName.split(".");
  if (parts.length > 2 || !parts.every((part) => identifier.test(part))) {
    throw new TypeError(
      `tableName must be an SQL identifier or schema.table (letters, digits, _ and $; at most 63 each): ${JSON.stringify(tableName)}`,
    );
  }
  return { name: tableName, sql: parts.map((part) => `"${part}"`).join(".") };
}
