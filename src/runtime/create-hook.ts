// CRIO_LXC_CREATE_HOOK: an operator's program run before `create` returns (also
// when it fails), e.g. to back up the bundle and LXC config for debugging.
// Forked from C (native/spawn.ts) so that it dies with the runtime, which is
// what enforces its timeout.
import { closeSync, openSync } from "node:fs";
import { spawn } from "../native/spawn";
import { pidfdOpen, pidfdSendSignal, waitPidfdExit, waitpid } from "../sys";
import type { RuntimeContext } from "./context";

export interface CreateHookInput {
  id: string;
  bundle: string;
  lxcConfig: string;
  error?: string;
}

const SIGKILL = 9;

/** Runs the hook with stdio nulled, killing it at the timeout. Never throws: a hook can't fail a create. */
export async function runCreateHook(ctx: RuntimeContext, input: CreateHookInput): Promise<void> {
  const hook = ctx.settings.createHook;
  if (!hook) return;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    CONTAINER_ID: input.id,
    LXC_CONFIG: input.lxcConfig,
    RUNTIME_CMD: "create",
    RUNTIME_PATH: ctx.runtimePath,
    BUNDLE_PATH: input.bundle,
    SPEC_PATH: `${input.bundle}/config.json`,
    LOG_FILE: ctx.settings.logFile,
  };
  if (input.error) env.RUNTIME_ERROR = input.error;
  const started = Date.now();
  try {
    const { status, timedOut, failure } = runWithTimeout(hook, Object.entries(env).map(([k, v]) => `${k}=${v}`), ctx.settings.createHookTimeout);
    const fields = { file: hook, exitCode: (status >> 8) & 0xff, signal: status & 0x7f, ms: Date.now() - started };
    if (timedOut) ctx.log.error(`create hook killed after CRIO_LXC_CREATE_HOOK_TIMEOUT (${ctx.settings.createHookTimeout} ms)`, fields);
    else if (failure) ctx.log.error(`create hook could not run: ${failure}`, { file: hook });
    else if (status !== 0) ctx.log.error("create hook failed", fields);
    else ctx.log.debug("create hook done", fields);
  } catch (err) {
    ctx.log.error(`create hook could not run: ${(err as Error).message}`, { file: hook });
  }
}

function runWithTimeout(path: string, env: string[], timeoutMs: number): { status: number; timedOut: boolean; failure?: string } {
  const devNull = openSync("/dev/null", "r+");
  try {
    const child = spawn({ path, argv: [path], env, stdinFd: devNull, outputFd: devNull });
    try {
      const pidfd = pidfdOpen(child.pid);
      let timedOut = false;
      try {
        timedOut = !waitPidfdExit(pidfd, timeoutMs);
        if (timedOut) pidfdSendSignal(pidfd, SIGKILL);
      } finally {
        closeSync(pidfd);
      }
      const [, status] = waitpid(child.pid, 0);
      return { status, timedOut, failure: child.failure()?.message };
    } finally {
      child.close();
    }
  } finally {
    closeSync(devNull);
  }
}
