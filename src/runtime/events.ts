// events: runc's event stream. --stats prints one sample and exits; otherwise
// a stats sample every interval and an {"type":"oom"} line whenever the
// kernel OOM-kills a process of the container (memory.events oom_kill grows,
// the counter conmon watches), until the container's processes are gone.
import { type FSWatcher, existsSync, watch } from "node:fs";
import { join } from "node:path";
import { cgroupPath, readKeyedFile } from "../cgroup";
import { statusOf } from "../state";
import { RuntimeError, type RuntimeContext } from "./context";
import { containerStats, eventJson } from "./stats";

export interface EventsOptions {
  stats: boolean;
  intervalMs: number;
  write: (line: string) => void;
}

const oomKills = (dir: string) => Number(readKeyedFile(dir, "memory.events").get("oom_kill") ?? 0);
const populated = (dir: string) => readKeyedFile(dir, "cgroup.events").get("populated") === "1";

export async function streamEvents(ctx: RuntimeContext, id: string, opts: EventsOptions): Promise<void> {
  const record = ctx.store.load(id);
  if (statusOf(record) === "stopped") throw new RuntimeError(`container ${id} is not running`);
  const dir = record.cgroupDir;
  const emit = (type: string, data?: unknown) => opts.write(`${eventJson({ type, id, ...(data ? { data } : {}) })}\n`);
  if (opts.stats) return emit("stats", containerStats(dir));

  let seen = oomKills(dir);
  await new Promise<void>((done) => {
    const watchers: FSWatcher[] = [];
    const finish = () => {
      clearInterval(timer);
      for (const w of watchers) w.close();
      done();
    };
    const check = () => {
      const kills = oomKills(dir);
      for (; seen < kills; seen++) emit("oom");
      if (!existsSync(cgroupPath(dir)) || !populated(dir)) finish();
    };
    const timer = setInterval(() => {
      if (existsSync(cgroupPath(dir))) emit("stats", containerStats(dir));
      check();
    }, opts.intervalMs);
    // cgroup files signal changes through inotify; the interval covers a missed one.
    for (const file of ["memory.events", "cgroup.events"]) {
      const path = join(cgroupPath(dir), file);
      // The cgroup's removal ends the stream: an error from the watcher then is expected.
      if (existsSync(path)) watchers.push(watch(path, check).on("error", check));
    }
    check();
  });
}
