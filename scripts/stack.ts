// npm run stack -- up|down|status
import { stackDown, stackStatus, stackUp } from "./stack/index.ts";

const cmd = process.argv[2] ?? "status";
try {
  if (cmd === "up") {
    await stackUp();
    console.log("[stack] up");
  } else if (cmd === "down") {
    const stopped = await stackDown();
    console.log(stopped.length ? `[stack] stopped ${stopped.join(", ")}` : "[stack] nothing of ours was running");
  } else if (cmd === "status") {
    const s = await stackStatus();
    for (const [name, v] of Object.entries(s)) {
      console.log(`${name.padEnd(16)} ${v.up ? "up  " : "down"} port ${v.port}${v.pid ? ` pid ${v.pid}` : ""}`);
    }
    process.exitCode = Object.values(s).every((v) => v.up) ? 0 : 3;
  } else {
    console.error("usage: npm run stack -- up|down|status");
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`[stack] ${(e as Error).message}`);
  process.exitCode = 1;
}
