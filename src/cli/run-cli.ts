import { parseArgs } from "node:util";
import { openDatabase } from "./open-database.ts";
import { superjsonSerializer } from "../serialization/serializer.ts";
import { PostgresStore } from "../store/postgres-store.ts";
import type { Command } from "./command-context.ts";
import { deleteSession } from "./commands/delete.ts";
import { hashSecretVariable, importCommand } from "./commands/import.ts";
import { list } from "./commands/list.ts";
import { prune } from "./commands/prune.ts";
import { keysVariable, rekey } from "./commands/rekey.ts";
import { schema } from "./commands/schema.ts";
import { show } from "./commands/show.ts";
import { stats } from "./commands/stats.ts";
import { ExitCode, exitCodeOf, UsageError } from "./exit-codes.ts";
import { createOutput } from "./output.ts";

const commands: Record<string, Command> = { list, delete: deleteSession, prune, stats, schema };

export const usage = `Usage: prisma-pg-session <command> [options]

Commands:
  list [--limit N] [--after ID]   sessions in id order (id, size in bytes, expiry), a page at a time
  list --user ID [--limit N] [--after ID]
                                  the user's sessions (also created, last active, user agent, ip)
  show <id>                       one session, decoded (and decrypted with
                                  $SESSION_ENCRYPTION_KEYS when set)
  delete <id>                     delete one session
  delete --user ID [--yes]        count the user's sessions; with --yes, delete them all
  prune [--dry-run] [--batch-size N]
                                  delete expired sessions in batches
  rekey [--dry-run] [--batch-size N] [--plaintext]
                                  re-encrypt every session with the first key of
                                  $SESSION_ENCRYPTION_KEYS, in batches; rows already under it,
                                  rows no key opens and (without --plaintext) unencrypted rows are
                                  left as they are and counted; --dry-run only counts
  stats                           count, expired, payload sizes, oldest/newest expiry, users
                                  (distinct, sessions with one, the 5 with the most sessions)
  schema                          create the table, its columns and indexes if missing
  import --from connect-pg-simple|prisma-session-store [--source-table NAME]
         [--dry-run] [--batch-size N] [--hash-ids sha256|hmac] [--encrypt]
                                  copy the live sessions of the old store's table (same
                                  database) into the sessions table, as PgSessionStore with
                                  the same hashIds and serializer writes them; never
                                  overwrites a session already here, so it can be run again;
                                  Ctrl-C stops after the batch in progress: run it again to
                                  continue (what is already here is skipped and counted)

Options:
  --url URL        PostgreSQL URL (default: $DATABASE_URL; unset: the embedded database)
  --data-dir DIR   embedded database directory (default: .data/pglite)
  --table NAME     sessions table, or schema.table (default: sessions)
  --json           machine-readable output
  --plaintext      rekey: also encrypt rows stored without encryption
  --user ID        list, delete: the sessions of this user (user_id)
  --from STORE     import: connect-pg-simple or prisma-session-store
  --source-table NAME
                   import: the old store's table, or schema.table (default: session for
                   connect-pg-simple, Session for prisma-session-store)
  --hash-ids sha256|hmac
                   import: key rows as PgSessionStore's hashIds does: sha256 (true) or
                   hmac ({ secret } from $SESSION_HASH_IDS_SECRET)
  --encrypt        import: encrypt with $SESSION_ENCRYPTION_KEYS (createEncryptingSerializer)
  --yes            delete --user: really delete (without it: a dry run that counts)
  -h, --help       this text

Environment:
  SESSION_ENCRYPTION_KEYS   keys of createEncryptingSerializer, for rekey: id:key[,id:key...],
                            the first encrypting, all decrypting; each key is 32 bytes as
                            base64 (openssl rand -base64 32) or 64 hex characters, each id
                            letters, digits, . _ - (never give keys on the command line);
                            show decrypts with them; import --encrypt encrypts with the first
  SESSION_HASH_IDS_SECRET   import --hash-ids hmac: the secret of hashIds: { secret }

Exit codes: 0 ok, 1 failure, 2 bad input, 3 not found, 4 database unreachable,
130 interrupted (import: run it again to continue).`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, got ${value}`);
  return n;
}

interface CommandSettings {
  plaintext: boolean;
  from?: string | undefined;
  "source-table"?: string | undefined;
  "hash-ids"?: string | undefined;
  encrypt: boolean;
  after?: string | undefined;
}

/** The command `name`, with what it takes from the options and the environment (never secrets from argv). */
function commandNamed(name: string, values: CommandSettings, env: NodeJS.ProcessEnv): Command | undefined {
  const keys = env[keysVariable];
  switch (name) {
    case "rekey":
      return rekey({ keys, plaintext: values.plaintext });
    case "show":
      return show({ keys: keys || undefined });
    case "import":
      return importCommand({
        from: values.from,
        sourceTable: values["source-table"],
        hashIds: values["hash-ids"],
        encrypt: values.encrypt,
        keys,
        hashSecret: env[hashSecretVariable],
        after: values.after,
      });
    default:
      return Object.hasOwn(commands, name) ? commands[name] : undefined;
  }
}

/** `parse()`, with parseArgs' own errors (an unknown option, a missing value) as a UsageError in a sentence. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) throw error;
    const option = /'(-[^']*)'/.exec((error as Error).message)?.[1];
    throw new UsageError(
      code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined
        ? `unknown option ${option}`
        : ((error as Error).message.split(/\. /)[0] ?? (error as Error).message),
    );
  }
}

/** Runs the CLI with `argv` (without node and script). @returns the exit code */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let json = argv.includes("--json");
  const output = () => createOutput(json);
  try {
    const { values, positionals } = parsed(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          url: { type: "string" },
          "data-dir": { type: "string" },
          table: { type: "string" },
          json: { type: "boolean", default: false },
          limit: { type: "string" },
          after: { type: "string" },
          "dry-run": { type: "boolean", default: false },
          "batch-size": { type: "string" },
          plaintext: { type: "boolean", default: false },
          user: { type: "string" },
          yes: { type: "boolean", default: false },
          from: { type: "string" },
          "source-table": { type: "string" },
          "hash-ids": { type: "string" },
          encrypt: { type: "boolean", default: false },
          help: { type: "boolean", short: "h", default: false },
        },
      }),
    );
    json = values.json;
    const [name, ...args] = positionals;
    if (values.help || name === undefined) {
      process.stdout.write(`${usage}\n`);
      return name === undefined && !values.help ? ExitCode.badInput : ExitCode.ok;
    }
    const command = commandNamed(name, values, env);
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}; see --help`);
    const options = {
      limit: positiveInt("limit", values.limit, 50),
      after: values.after,
      dryRun: values["dry-run"],
      batchSize: positiveInt("batch-size", values["batch-size"], 1000),
      user: values.user,
      yes: values.yes,
    };
    if ((options.user !== undefined || options.yes) && name !== "list" && name !== "delete") {
      throw new UsageError(`--user and --yes apply to list and delete, not ${name}`);
    }
    const importOnly = (["from", "source-table", "hash-ids", "encrypt"] as const).filter(
      (option) => values[option] !== undefined && values[option] !== false,
    );
    if (importOnly.length > 0 && name !== "import") {
      throw new UsageError(`${importOnly.map((option) => `--${option}`).join(", ")} apply to import, not ${name}`);
    }
    const db = await openDatabase({ url: values.url ?? env["DATABASE_URL"], dataDir: values["data-dir"] });
    if (db.warning) process.stderr.write(`${db.warning}\n`);
    let code: number | void;
    try {
      const store = new PostgresStore({ ...db.connection, ...(values.table === undefined ? {} : { tableName: values.table }) });
      code = await command({ store, serializer: superjsonSerializer, output: output(), args, options, now: () => new Date() });
    } finally {
      await db.close();
    }
    return code ?? ExitCode.ok;
  } catch (error) {
    const code = exitCodeOf(error);
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: { name, message, exitCode: code } })}\n`);
    process.stderr.write(`${name}: ${message}\n`);
    // A usage error is the user's to fix: the usage goes with it.
    if (error instanceof UsageError && !json) process.stderr.write(`\n${usage}\n`);
    return code;
  }
}
