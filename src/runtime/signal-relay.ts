// Foreground exec and run: like runc, the signals the runtime gets (a terminal's
// ^C, CRI-O's stop) go to the process it waits for. The relay listens from
// before the process exists: a signal arriving while the container or the exec'd
// process is still being set up is kept and delivered once there is a process,
// instead of killing the runtime and orphaning what it had started.
import { constants } from "node:os";
import { pidfdSendSignal } from "../sys";

const FORWARDED_SIGNALS = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGWINCH"] as const;
type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

export class SignalRelay {
  private pidfd: number | undefined;
  private readonly pending: number[] = [];
  private readonly handlers: [ForwardedSignal, () => void][];

  /** With a terminal of our own, SIGWINCH resizes it instead of being forwarded. */
  constructor(opts: { ownTerminal: boolean }) {
    const names = opts.ownTerminal ? FORWARDED_SIGNALS.filter((s) => s !== "SIGWINCH") : FORWARDED_SIGNALS;
    this.handlers = names.map((name) => {
      const handler = () => this.deliver(constants.signals[name]);
      process.on(name, handler);
      return [name, handler];
    });
  }

  /** From now on signals go to the process behind `pidfd`, those kept so far first. */
  target(pidfd: number): void {
    this.pidfd = pidfd;
    for (const signal of this.pending.splice(0)) this.deliver(signal);
  }

  stop(): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
    this.pidfd = undefined;
  }

  private deliver(signal: number): void {
    if (this.pidfd === undefined) {
      this.pending.push(signal);
      return;
    }
    try { pidfdSendSignal(this.pidfd, signal); } catch { /* already gone */ }
  }
}
