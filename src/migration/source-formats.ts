import { parseTableName, type TableName } from "../table/table-name.ts";
import { connectPgSimpleFormat } from "./connect-pg-simple-format.ts";
import { prismaSessionStoreFormat } from "./prisma-session-store-format.ts";
import { sourceStoreNames, type SourceFormat, type SourceStoreName } from "./source-format.ts";

const formats: Record<SourceStoreName, SourceFormat> = {
  "connect-pg-simple": connectPgSimpleFormat,
  "prisma-session-store": prismaSessionStoreFormat,
};

/** An old store's table to read: its format and its validated, quoted name. */
export interface SourceTable {
  format: SourceFormat;
  table: TableName;
}

/**
 * The format of `from` and its table (`table`, or the store's default), checked before any SQL.
 * @throws TypeError naming the option
 */
export function sourceTableOf(from: unknown, table: unknown, names = { from: "from", table: "sourceTable" }): SourceTable {
  if (typeof from !== "string" || !Object.hasOwn(formats, from)) {
    throw new TypeError(
      `${names.from} must be one of ${sourceStoreNames.map((name) => JSON.stringify(name)).join(", ")}, got ${JSON.stringify(from)}`,
    );
  }
  const format = formats[from as SourceStoreName];
  try {
    return { format, table: parseTableName(table ?? format.defaultTable) };
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(error.message.replace(/^tableName/, names.table));
    throw error;
  }
}
