// The package as a consumer gets it: built, packed with `npm pack`, unpacked into fresh projects.
//
// How the consumer projects are installed: not with `npm install <tarball>` (it resolves the whole
// dependency tree again and needs the registry or a warm cache), but by laying out node_modules as npm
// would: the tarball unpacked as node_modules/prisma-pg-session (a real directory, so Node and tsc
// resolve the package's own imports from the consumer's node_modules, never from the repo's), and each
// package the consumer may see symlinked from the repo's node_modules: the package's `dependencies`,
// plus what that app installs itself. Everything else is invisible (the projects live under the OS temp
// directory, outside the repo), so an import of an undeclared dependency fails, and fastify's app has no
// express-session nor @types/express-session at all. Offline, and a second or so per project.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import type pg from "pg";
import ts from "typescript";
import { adminPool, createTable, testDatabaseUrl } from "../support/database.ts";
import { cjsApp, consumerCompilerOptions, esmApp, fastifyApp, loadProbe, recordLoadsHooks, recordLoadsRegister } from "./consumers.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const repoModules = join(root, "node_modules");
const tsc = join(repoModules, "typescript", "bin", "tsc");
const attw = join(repoModules, "@arethetypeswrong", "cli", "dist", "index.js");

interface PackageJson {
  name: string;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

let work: string;
let packed: string; // the unpacked tarball: exactly what npm would publish
let tarball: string;
let manifest: PackageJson;
let pool: pg.Pool;
let table: string;

/** Runs a command; on failure, throws with its output (tsc prints its errors to stdout). */
async function sh(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd,
      env: { ...process.env, NODE_OPTIONS: "", TEST_DATABASE_URL: testDatabaseUrl(), PPS_TABLE: table, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`, { cause: error });
  }
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** What npm installs with the package: its dependencies and its peers that are not optional. */
function installedWith(): string[] {
  const required = Object.keys(manifest.peerDependencies).filter((peer) => manifest.peerDependenciesMeta[peer]?.optional !== true);
  return [...Object.keys(manifest.dependencies), ...required];
}

/** A fresh project: the package unpacked, what npm installs with it and `extra` linked from the repo. */
function consumer(name: string, type: "module" | "commonjs", extra: string[]): string {
  const dir = join(work, name);
  cpSync(packed, join(dir, "node_modules", "prisma-pg-session"), { recursive: true });
  for (const dep of [...installedWith(), ...extra]) {
    const link = join(dir, "node_modules", dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(repoModules, dep), link, "dir");
  }
  write(join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type }));
  write(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: consumerCompilerOptions, include: ["src"] }));
  return dir;
}

beforeAll(async () => {
  pool = adminPool();
  table = await createTable(pool, "pkg");
  work = mkdtempSync(join(tmpdir(), "pps-package-"));
  // Built into a staging copy of what `files` lists, not the repo's dist/: tsc never deletes, so a
  // dist/ of a developer's machine may still hold modules of an older layout, which would be packed.
  const stage = join(work, "stage");
  const repoManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;
  mkdirSync(stage);
  cpSync(join(root, "package.json"), join(stage, "package.json"));
  for (const entry of repoManifest.files.filter((f) => f !== "dist")) cpSync(join(root, entry), join(stage, entry), { recursive: true });
  await sh(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", join(stage, "dist")], root);
  // --ignore-scripts: `prepare` (generate + build) is for the repo, and was done just above.
  const [pack] = JSON.parse(await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], stage)) as {
    filename: string;
  }[];
  tarball = join(work, pack!.filename);
  mkdirSync(join(work, "unpacked"));
  await sh("tar", ["-xzf", tarball, "-C", join(work, "unpacked")], work);
  packed = join(work, "unpacked", "package");
  manifest = JSON.parse(readFileSync(join(packed, "package.json"), "utf8")) as PackageJson;
}, 120_000);

afterAll(async () => {
  await pool?.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool?.end();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(packed, join(entry.parentPath, entry.name)));
}

describe("the packed package", () => {
  test("exports every entry with types, import and default (require), and nothing it does not ship", () => {
    expect(Object.keys(manifest.exports)).toEqual([
      ".",
      "./express",
      "./fastify",
      "./embedded",
      "./web",
      "./hono",
      "./react-router",
      "./next",
      "./package.json",
    ]);
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (entry === "./package.json") continue;
      expect(Object.keys(target)).toEqual(["types", "import", "default"]);
      for (const file of Object.values(target)) expect(existsSync(join(packed, file))).toBe(true);
    }
    for (const file of Object.values(manifest.bin)) expect(existsSync(join(packed, file))).toBe(true);
    const shipped = filesUnder(packed);
    expect(shipped.filter((file) => !/^(dist\/|prisma\/|package\.json$|README\.md$)/.test(file))).toEqual([]);
  });

  test("dist imports only Node builtins, dependencies and peerDependencies, and uses every dependency", () => {
    const allowed = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const builtins = new Set(builtinModules);
    const imports = bareImports(join(packed, "dist"));
    const isBuiltin = (specifier: string) => specifier.startsWith("node:") || builtins.has(specifier.split("/")[0]!);
    const undeclared: string[] = [];
    for (const { file, specifier } of imports) {
      if (isBuiltin(specifier)) continue;
      const name = packageName(specifier);
      // A .d.ts import is satisfied by the package's own types or its @types package.
      const ok = file.endsWith(".d.ts") ? allowed.has(name) || allowed.has(typesPackage(name)) : allowed.has(name);
      if (!ok) undeclared.push(`${file}: ${specifier}`);
    }
    expect(undeclared).toEqual([]);

    // The scan is not vacuous: it sees static imports, the CLI's, and the embedded entry's optional ones.
    const named = (name: string) => imports.filter((i) => packageName(i.specifier) === name).map((i) => i.file);
    expect(named("pg")).toContain("dist/driver/own-pool.js");
    // cli-progress is a dependency for the CLI only: no entry may load it.
    expect(named("cli-progress")).toEqual(["dist/cli/progress.js"]);
    // @opentelemetry/api (an optional peer) only where telemetry loads it, on request (telemetry.d.ts
    // is reached from no entry's declarations).
    expect(named("@opentelemetry/api").sort()).toEqual(["dist/observability/telemetry.d.ts", "dist/observability/telemetry.js"]);
    // PGlite only in the embedded entry (pglite-client.d.ts is reached from no entry's declarations).
    expect(named("@electric-sql/pglite").sort()).toEqual(["dist/embedded/embedded-database.js", "dist/embedded/pglite-client.d.ts"]);
    // The adapter's declarations name no framework (a fastify app compiles without @types/express-session).
    const frameworkTypes = imports.filter(
      (i) => i.file.endsWith(".d.ts") && /^(express-session|express|fastify|@fastify\/)/.test(i.specifier),
    );
    expect(frameworkTypes).toEqual([]);

    // Every runtime dependency is imported by some module (an @types/x one by some declaration).
    const used = new Set(
      imports.flatMap(({ file, specifier }) =>
        file.endsWith(".d.ts") ? [packageName(specifier), typesPackage(packageName(specifier))] : [packageName(specifier)],
      ),
    );
    expect(Object.keys(manifest.dependencies).filter((dep) => !used.has(dep))).toEqual([]);
  });

  test("attw finds nothing but CommonJS resolving to ESM (right on Node >= 20.19: require(esm))", async () => {
    // attw models TypeScript's `module: node16`, where require() cannot load ESM; Node >= 20.19 (this
    // package's engines) can, as TypeScript's `node20` / `nodenext` know. The CommonJS consumer below
    // proves it, and would fail on the top-level await that require(esm) refuses.
    // Into a file, not a pipe: attw calls process.exit(1) right after writing, which cuts piped output
    // past the pipe's buffer (its JSON for seven entries is ~250 KB). It exits 1 for CJSResolvesToESM.
    const report = join(work, "attw.json");
    await sh("sh", ["-c", `"$0" "$1" "$2" --format json > "$3" || true`, process.execPath, attw, tarball, report], work);
    const output = readFileSync(report, "utf8");
    const { analysis } = JSON.parse(output) as {
      analysis: { entrypoints: Record<string, unknown>; problems: { kind: string; entrypoint: string }[] };
    };
    expect(Object.keys(analysis.entrypoints)).toEqual(Object.keys(manifest.exports));
    expect(analysis.problems.filter((p) => p.kind !== "CJSResolvesToESM")).toEqual([]);
  }, 60_000);
});

describe("consumers of the packed package", () => {
  test("an ESM TypeScript app (., ./express with express-session, ./embedded) type-checks and runs", async () => {
    const dir = consumer("esm", "module", ["@types/node", "express-session", "@types/express-session"]);
    write(join(dir, "src", "main.ts"), esmApp);
    await sh(process.execPath, [tsc, "-p", "."], dir);
    expect(await sh(process.execPath, ["out/main.js"], dir)).toContain("esm consumer ok");
  }, 60_000);

  test("a CommonJS TypeScript app require()s every entry, type-checks and runs", async () => {
    const dir = consumer("cjs", "commonjs", ["@types/node"]);
    write(join(dir, "src", "main.ts"), cjsApp);
    await sh(process.execPath, [tsc, "-p", "."], dir);
    const emitted = readFileSync(join(dir, "out", "main.js"), "utf8");
    for (const entry of ["prisma-pg-session", "prisma-pg-session/express", "prisma-pg-session/fastify", "prisma-pg-session/embedded"]) {
      expect(emitted).toContain(`require("${entry}")`);
    }
    expect(await sh(process.execPath, ["out/main.js"], dir)).toContain("cjs consumer ok");
  }, 60_000);

  test("a fastify app without express-session or its types type-checks and runs", async () => {
    const dir = consumer("fastify", "module", ["@types/node", "fastify", "@fastify/session", "@fastify/cookie"]);
    write(join(dir, "src", "main.ts"), fastifyApp);
    // The check is not vacuous: from this project, express-session and its types do not resolve.
    const from = join(dir, "node_modules", "prisma-pg-session", "dist", "adapters", "fastify", "index.d.ts");
    const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    expect(ts.resolveModuleName("express-session", from, options, ts.sys).resolvedModule).toBeUndefined();
    expect(ts.resolveModuleName("fastify", from, options, ts.sys).resolvedModule).toBeDefined();
    await sh(process.execPath, [tsc, "-p", "."], dir);
    expect(await sh(process.execPath, ["out/main.js"], dir)).toContain("fastify consumer ok");
  }, 60_000);

  test("no entry loads a Prisma client (the app's is the only one); the main entry loads no web framework", async () => {
    // @opentelemetry/api is installed, so that not loading it means something.
    const dir = consumer("loads", "module", ["express-session", "@opentelemetry/api"]);
    write(join(dir, "record-loads.mjs"), recordLoadsRegister);
    write(join(dir, "record-loads-hooks.mjs"), recordLoadsHooks);
    write(join(dir, "probe.mjs"), loadProbe);
    const loaded = async (specifier: string): Promise<string[]> => {
      const log = join(dir, `loads-${specifier.replaceAll("/", "_")}.log`);
      writeFileSync(log, "");
      await sh(process.execPath, ["--import", "./record-loads.mjs", "probe.mjs", specifier], dir, { LOAD_LOG: log });
      return readFileSync(log, "utf8").split("\n").filter(Boolean);
    };
    const [main, express, embedded] = await Promise.all([
      loaded("prisma-pg-session"),
      loaded("prisma-pg-session/express"),
      loaded("prisma-pg-session/embedded"),
    ]);
    const forbidden =
      /\/dist\/generated\/|\/node_modules\/@prisma\/client\/|\/node_modules\/(express-session|express|fastify|@fastify)\/|\/dist\/adapters\/|\/dist\/embedded\//;
    expect(main.filter((url) => url.includes("/prisma-pg-session/dist/index.js"))).toHaveLength(1);
    expect(main.filter((url) => forbidden.test(url))).toEqual([]);
    expect([...express, ...embedded].filter((url) => /\/generated\/|\/node_modules\/@prisma\/client\//.test(url))).toEqual([]);
    // Telemetry is off unless asked for: importing an entry loads no OpenTelemetry.
    expect([...main, ...express, ...embedded].filter((url) => url.includes("@opentelemetry"))).toEqual([]);
    // The recording sees what these entries load, so the empty lists mean something.
    expect(embedded.some((url) => url.includes("/prisma-pg-session/dist/embedded/embedded-database.js"))).toBe(true);
    expect(main.some((url) => url.includes("/node_modules/@prisma/client-runtime-utils/"))).toBe(true);
    expect(express.some((url) => url.includes("/node_modules/express-session/index.js"))).toBe(true);
  }, 60_000);
});

interface BareImport {
  file: string;
  specifier: string;
}

/**
 * Every module specifier in dist/**\/*.js and *.d.ts that is not relative: static imports and
 * re-exports, `import("x")` (and `import("x")` types), `require("x")` and `createRequire(...)("x")`.
 * A dynamic import of a computed name fails the scan.
 */
function bareImports(dist: string): BareImport[] {
  const found: BareImport[] = [];
  const unexplained: string[] = [];
  for (const path of readdirSync(dist, { recursive: true, encoding: "utf8" })) {
    if (!path.endsWith(".js") && !path.endsWith(".d.ts")) continue;
    const file = `dist/${path}`;
    const text = readFileSync(join(dist, path), "utf8");
    const source = ts.createSourceFile(
      file,
      text,
      ts.ScriptTarget.Latest,
      false,
      file.endsWith(".d.ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS,
    );
    const add = (node: ts.Node | undefined) => {
      if (node !== undefined && ts.isStringLiteralLike(node)) {
        if (!node.text.startsWith(".") && !node.text.startsWith("/")) found.push({ file, specifier: node.text });
      } else {
        unexplained.push(`${file}: ${node?.getText(source) ?? "?"}`);
      }
    };
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) add(node.moduleSpecifier);
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
      else if (ts.isExternalModuleReference(node)) add(node.expression);
      else if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const loads =
          callee.kind === ts.SyntaxKind.ImportKeyword ||
          (ts.isIdentifier(callee) && callee.text === "require") ||
          (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "createRequire");
        if (loads) add(node.arguments[0]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  expect(unexplained).toEqual([]);
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The DefinitelyTyped package of `name`: `@types/pg`, `@types/scope__name`. */
function typesPackage(name: string): string {
  return `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
}
