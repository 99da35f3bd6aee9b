// The helper's failure reports as messages worded like runc's, so engines map
// them the same way ("executable file not found" → 127, "permission denied" → 126).
import { errnoText as goErrnoText } from "../sys";
import { namesOf } from "./capabilities";
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, ExecError } from "./errors";
import { STAGE } from "../native/shared";
import type { HelperFailure } from "./helper";
import type { ExecPlan } from "./plan";

const RLIMIT_NAMES = ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"];
const PREFIX = "exec failed: unable to start container process: ";

export interface FailureContext {
  plan: ExecPlan;
  /** Where the process came from (process.json or config.json), for cwd errors as runc words them. */
  file: string;
  cgroupDir: string;
  initPid: number;
  namespaces: string[];
}

function errnoText(errno: number): string {
  if (!errno) return "unknown error";
  return goErrnoText(errno);
}

const ESRCH = 3;
const ENOENT = 2;
const EACCES = 13;
const EINVAL = 22;

function describe(f: HelperFailure, ctx: FailureContext): string {
  const { plan } = ctx;
  const why = errnoText(f.errno);
  const program = JSON.stringify(plan.args[0]);
  const cap = () => namesOf(1n << BigInt(f.value))[0] ?? `capability ${f.value}`;
  switch (f.stage) {
    case STAGE.FORK: return `fork of the exec helper failed: ${why}`;
    case STAGE.CGROUP: return `joining the container's cgroup (${ctx.cgroupDir}): ${why}`;
    case STAGE.SETNS: return `joining the namespaces (${ctx.namespaces.join(", ")}) of the container's init ${ctx.initPid}: ${why}`;
    case STAGE.CLONE: return `creating the process inside the container: ${why}`;
    case STAGE.CONSOLE: return `setting up the terminal: ${["", "opening a pty in the container's /dev/ptmx", "sending the pty master to the console socket", "making the pty the controlling terminal"][f.value] ?? ""}: ${why}`;
    case STAGE.SESSION: return `starting a new session (setsid): ${why}`;
    case STAGE.PERSONALITY: return `setting personality ${plan.personality}: ${why}`;
    case STAGE.KEYRING: return `joining a new session keyring: ${why}`;
    case STAGE.RLIMIT: return `setting RLIMIT_${RLIMIT_NAMES[f.value] ?? f.value}: ${why}`;
    case STAGE.OOM_SCORE_ADJ: return `setting oom_score_adj to ${plan.oomScoreAdj}: ${why}`;
    case STAGE.STDIO: return `changing the owner of fd ${f.value} to uid ${plan.uid}: ${why}`;
    case STAGE.BOUNDING: return `unable to apply bounding set: dropping ${cap()}: ${why}`;
    case STAGE.KEEPCAPS: return `unable to set keep caps: ${why}`;
    case STAGE.GROUPS: return `unable to setup user: setgroups ${JSON.stringify(plan.groups)}: ${why}`;
    case STAGE.SETGID: return f.errno === EINVAL ? `cannot setgid to unmapped gid ${plan.gid} in user namespace` : `unable to setup user: setgid ${plan.gid}: ${why}`;
    case STAGE.SETUID: return f.errno === EINVAL ? `cannot setuid to unmapped uid ${plan.uid} in user namespace` : `unable to setup user: setuid ${plan.uid}: ${why}`;
    case STAGE.CHDIR: return `chdir to cwd (${JSON.stringify(plan.cwd)}) set in ${ctx.file} failed: ${why}`;
    case STAGE.CWD_OUTSIDE: return `cwd (${JSON.stringify(plan.cwd)}) set in ${ctx.file} leads outside the container`;
    case STAGE.CAPSET: return `unable to apply caps: ${why}`;
    case STAGE.AMBIENT: return `unable to apply caps: raising ambient ${cap()}: ${why}`;
    case STAGE.NO_NEW_PRIVS: return `setting no_new_privs: ${why}`;
    case STAGE.APPARMOR: return `applying AppArmor profile ${JSON.stringify(plan.apparmor)}: ${why}`;
    case STAGE.FDS: return `passing fds to the process (fd ${f.value}): ${why}`;
    case STAGE.SECCOMP: return `installing the seccomp filter: ${why}`;
    case STAGE.EXEC: return `exec: ${program}: ${why}`;
    case STAGE.EXEC_SEARCH: return `exec: ${program}: executable file not found in $PATH`;
    default: return `the exec helper exited without a report (stage ${f.stage}): ${why}`;
  }
}

function exitCodeOf(f: HelperFailure): number | undefined {
  if (f.stage === STAGE.EXEC_SEARCH) return EXIT_NOT_FOUND;
  if (f.stage === STAGE.EXEC) return f.errno === ENOENT ? EXIT_NOT_FOUND : f.errno === EACCES ? EXIT_CANNOT_EXECUTE : undefined;
  return undefined;
}

export function failureError(f: HelperFailure, ctx: FailureContext): ExecError {
  // init is exiting (a pid namespace's init waits in exit for the rest to be reaped).
  if (f.stage === STAGE.SETNS && f.errno === ESRCH) return new ExecError("cannot exec in a stopped container");
  return new ExecError(PREFIX + describe(f, ctx), exitCodeOf(f));
}
