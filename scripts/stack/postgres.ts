// Postgres as the `postgres` user (it refuses to run as root) with its own data dir, plus the
// database and role the service uses.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { host, ports, postgres, stateDir } from "./config.ts";
import { logDir, portOpen, run, waitFor } from "./proc.ts";

const isRoot = process.getuid?.() === 0;
const binDir = (): string => {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base) : [];
  const v = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!v) throw new Error("postgresql is not installed (no /usr/lib/postgresql/*)");
  return join(base, v, "bin");
};

/** As root, the data dir must be reachable by the postgres user; a home under /root is not. */
function dataRoot(): string {
  const preferred = join(stateDir, "pg");
  if (!isRoot) return preferred;
  mkdirSync(preferred, { recursive: true });
  const ok = runAsPostgresOk("test", ["-x", stateDir]);
  if (ok) return preferred;
  const id = createHash("sha256").update(stateDir).digest("hex").slice(0, 12);
  return `/var/lib/postgresql/moviesnow-${id}`;
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}
function runAsPostgresOk(cmd: string, args: string[]): boolean {
  try {
    const [c, a] = asPostgres(cmd, args);
    run(c, a);
    return true;
  } catch {
    return false;
  }
}
function pg(cmd: string, args: string[]): string {
  const [c, a] = asPostgres(join(binDir(), cmd), args);
  return run(c, a);
}

export function pgPaths() {
  const root = dataRoot();
  // The log sits with the data: as root, the postgres user may not be able to write our log dir.
  return { root, data: join(root, "data"), sock: join(root, "sock"), log: join(root, "postgres.log") };
}

export async function upPostgres(): Promise<void> {
  const p = pgPaths();
  mkdirSync(p.sock, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  if (isRoot) run("chown", ["-R", "postgres:postgres", p.root]);
  if (!existsSync(join(p.data, "PG_VERSION"))) {
    const pw = join(p.root, "pwfile");
    writeFileSync(pw, `${postgres.password}\n`);
    if (isRoot) run("chown", ["postgres:postgres", pw]);
    pg("initdb", ["-D", p.data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--pwfile", pw]);
  }
  if (!(await portOpen(ports.postgres))) {
    if (isRoot) {
      writeFileSync(p.log, "", { flag: "a" });
      run("chown", ["postgres:postgres", p.log]);
    }
    const opts = `-p ${ports.postgres} -k ${p.sock} -c listen_addresses=${host} -c fsync=off -c max_connections=200`;
    pg("pg_ctl", ["-D", p.data, "-o", opts, "-l", p.log, "-w", "-t", "60", "start"]);
    writeFileSync(join(p.root, "started-by-stack"), "1");
  }
  await waitFor("postgres", () => portOpen(ports.postgres));
  const psql = (sql: string) => pg("psql", ["-h", p.sock, "-p", String(ports.postgres), "-U", "postgres", "-d", "postgres", "-tAc", sql]);
  if (psql(`select 1 from pg_roles where rolname='${postgres.user}'`).trim() !== "1") {
    psql(`create role ${postgres.user} login password '${postgres.password}' createdb`);
  }
  if (psql(`select 1 from pg_database where datname='${postgres.database}'`).trim() !== "1") {
    psql(`create database ${postgres.database} owner ${postgres.user}`);
  }
}

/** Creates (or recreates) a database owned by the service role, for isolated test runs. */
export function createDatabase(name: string, recreate = false): void {
  const p = pgPaths();
  const psql = (sql: string) => pg("psql", ["-h", p.sock, "-p", String(ports.postgres), "-U", "postgres", "-d", "postgres", "-tAc", sql]);
  if (recreate) psql(`drop database if exists ${name} with (force)`);
  if (psql(`select 1 from pg_database where datname='${name}'`).trim() !== "1") {
    psql(`create database ${name} owner ${postgres.user}`);
  }
}

export function dropDatabase(name: string): void {
  const p = pgPaths();
  pg("psql", [
    "-h",
    p.sock,
    "-p",
    String(ports.postgres),
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-tAc",
    `drop database if exists ${name} with (force)`,
  ]);
}

export async function downPostgres(): Promise<boolean> {
  const p = pgPaths();
  const marker = join(p.root, "started-by-stack");
  if (!existsSync(marker) || !existsSync(join(p.data, "postmaster.pid"))) return false;
  pg("pg_ctl", ["-D", p.data, "-m", "fast", "-w", "stop"]);
  run("rm", ["-f", marker]);
  return true;
}

export function postgresPid(): number | undefined {
  const f = join(pgPaths().data, "postmaster.pid");
  if (!existsSync(f)) return undefined;
  return Number(readFileSync(f, "utf8").split("\n")[0]);
}
