// One Worker on wrangler's local runtime (its startWorker API), without the DevTools inspector
// that `wrangler dev` always attaches. With the inspector, every subrequest sends four Network
// events through a second workerd and wrangler's Node process (each also written to a debug log
// file), and every streamed subrequest adds to workerd's memory as it flows: costs production
// does not have, which benchmarks must not measure. Run as a process of its own (its workerd is its
// child, in its process group); stops on SIGTERM.
//   node --import tsx test/support/worker-no-devtools.ts CONFIG PORT PERSIST_DIR [ENV_FILE]
import { unstable_startWorker } from "wrangler";

const [config, port, persist, envFile] = process.argv.slice(2);
if (!config || !port || !persist) throw new Error("usage: worker-no-devtools.ts CONFIG PORT PERSIST_DIR [ENV_FILE]");
const worker = await unstable_startWorker({
  config,
  ...(envFile ? { envFiles: [envFile] } : {}),
  // The pinned compatibility flags carry nodejs_compat; said here too, or the bundler warns.
  build: { nodejsCompatMode: "v2" },
  dev: {
    inspector: false,
    server: { hostname: "127.0.0.1", port: Number(port) },
    persist,
    logLevel: "warn",
    watch: false,
  },
});
await worker.ready;
process.stdout.write(`ready ${(await worker.url).origin}\n`);
const stop = () => {
  void worker.dispose().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
