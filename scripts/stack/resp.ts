// A small RESP2 client: binary-safe, one command batch at a time per connection, enough for the
// Upstash adapter (plain commands, pipelines and MULTI/EXEC on a dedicated connection).
import { connect, type Socket } from "node:net";

export type Reply = string | number | Buffer | null | ReplyError | Reply[];
export class ReplyError {
  constructor(readonly message: string) {}
}
class SimpleString {
  constructor(readonly value: string) {}
}
type Raw = SimpleString | number | Buffer | null | ReplyError | Raw[];

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `pos`; returns undefined when the buffer does not hold it all yet. */
function parse(buf: Buffer, pos: number): [Raw, number] | undefined {
  if (pos >= buf.length) return undefined;
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos] ?? 0);
  const line = buf.toString("utf8", pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case "+":
      return [new SimpleString(line), next];
    case "-":
      return [new ReplyError(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.subarray(next, next + len), next + len + 2];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: Raw[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (!r) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`RESP protocol error: unexpected byte ${JSON.stringify(type)}`);
  }
}

function finish(r: Raw): Reply {
  if (r instanceof SimpleString) return r.value;
  if (Array.isArray(r)) return r.map(finish);
  return r;
}

export class RespConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { n: number; got: Reply[]; resolve: (r: Reply[]) => void; reject: (e: Error) => void }[] = [];
  private closed: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error) => {
      this.closed = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("redis connection closed")));
  }

  static open(port: number, host = "127.0.0.1", timeoutMs = 2000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      s.setNoDelay(true);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`redis connect timeout ${host}:${port}`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(new RespConnection(s));
      });
      s.once("error", (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  get usable(): boolean {
    return this.closed === undefined && !this.socket.destroyed;
  }

  /** Sends commands back to back and resolves with their replies in order. */
  send(commands: (string | Buffer)[][]): Promise<Reply[]> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ n: commands.length, got: [], resolve, reject });
      this.socket.write(Buffer.concat(commands.map(encode)));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    for (;;) {
      const head = this.waiting[0];
      if (!head) break;
      const r = parse(this.buf, pos);
      if (!r) break;
      pos = r[1];
      head.got.push(finish(r[0]));
      if (head.got.length === head.n) {
        this.waiting.shift();
        head.resolve(head.got);
      }
    }
    this.buf = this.buf.subarray(pos);
  }
}

/** A tiny pool so concurrent HTTP requests don't share a MULTI. */
export class RespPool {
  private idle: RespConnection[] = [];
  constructor(
    private readonly port: number,
    private readonly host = "127.0.0.1",
    /** The logical database every connection of the pool selects. */
    private readonly db = 0,
  ) {}

  private async open(): Promise<RespConnection> {
    const conn = await RespConnection.open(this.port, this.host);
    if (this.db === 0) return conn;
    const [reply] = await conn.send([["SELECT", String(this.db)]]);
    if (reply !== "OK") {
      conn.close();
      throw new Error(`SELECT ${this.db} failed: ${String(reply)}`);
    }
    return conn;
  }

  async with<T>(fn: (c: RespConnection) => Promise<T>): Promise<T> {
    let c = this.idle.pop();
    while (c && !c.usable) c = this.idle.pop();
    const conn = c ?? (await this.open());
    try {
      const out = await fn(conn);
      if (conn.usable && this.idle.length < 32) this.idle.push(conn);
      else conn.close();
      return out;
    } catch (e) {
      conn.close();
      throw e;
    }
  }
}
