// CRIO_LXC_CREATE_HOOK: an operator's program run before `create` returns (also
// when it fails), e.g. to back up the bundle and LXC config for debugging.
import { spawn } from "bun";
import type { RuntimeContext } from "./context";

export interface CreateHookInput {
  id: string;
  bundle: string;
  lxcConfig: string;
  error?: string;
}

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
    const proc = spawn([hook], { env, stdin: "ignore", stdout: "ignore", stderr: "ignore", timeout: ctx.settings.createHookTimeout, killSignal: "SIGKILL" });
    const code = await proc.exited;
    const fields = { file: hook, exitCode: code, signal: proc.signalCode, ms: Date.now() - started };
    if (proc.signalCode === "SIGKILL" && Date.now() - started >= ctx.settings.createHookTimeout) {
      ctx.log.error(`create hook killed after CRIO_LXC_CREATE_HOOK_TIMEOUT (${ctx.settings.createHookTimeout} ms)`, fields);
    } else if (code !== 0) {
      ctx.log.error("create hook failed", fields);
    } else {
      ctx.log.debug("create hook done", fields);
    }
  } catch (err) {
    ctx.log.error(`create hook could not run: ${(err as Error).message}`, { file: hook });
  }
}
