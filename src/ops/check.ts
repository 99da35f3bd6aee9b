// `crio-lxc check`: can this node run containers? Each check says what it
// found; a "fail" means crio-lxc can't run containers here, a "warn" that
// some feature is off or limited.
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { CGROUP2_ROOT } from "../cgroup";
import { loadSettings, SettingsError, ENV_FILE_VARIABLE, DEFAULT_ENV_FILE, type SettingFlags, type Settings } from "../settings";
import { hostHasAppArmor } from "../proc";
import { checkLiblxc, type LiblxcFindings } from "./check-liblxc";
import type { CheckResult, CheckStatus } from "./check-result";
import { cgroupLayout, describeLayout } from "./cgroup-layout";



export const MIN_KERNEL = [5, 8] as const;
/** Controllers whose resources crio-lxc translates; without one, limits on it are refused. */
const RESOURCE_CONTROLLERS = ["cpu", "cpuset", "io", "memory", "pids"];

const result = (id: string, status: CheckStatus, message: string): CheckResult => ({ id, status, message });

function checkEnvFile(flags: SettingFlags, env: Record<string, string | undefined>): [CheckResult, Settings | undefined] {
  const file = env[ENV_FILE_VARIABLE] ?? DEFAULT_ENV_FILE;
  const where = file === "" ? `none (${ENV_FILE_VARIABLE} is empty)` : existsSync(file) ? file : `${file} is absent, built-in defaults apply`;
  try {
    const { settings, warnings } = loadSettings(flags, env);
    if (warnings.length) return [result("env-file", "warn", `${where}: ${warnings.join("; ")}`), settings];
    return [result("env-file", "ok", where), settings];
  } catch (err) {
    if (err instanceof SettingsError) return [result("env-file", "fail", err.message), undefined];
    throw err;
  }
}

function checkCgroup2(mountinfo: string): CheckResult {
  const layout = cgroupLayout(mountinfo);
  return result("cgroup2", layout.kind === "unified" ? "ok" : "fail", describeLayout(layout));
}

function checkControllers(): CheckResult {
  const available = readFileSync(join(CGROUP2_ROOT, "cgroup.controllers"), "utf8").trim().split(/\s+/).filter(Boolean);
  const missing = RESOURCE_CONTROLLERS.filter((c) => !available.includes(c));
  const list = `available: ${available.join(" ") || "none"}`;
  if (!missing.length) return result("cgroup-controllers", "ok", list);
  return result("cgroup-controllers", "warn", `${list}; without ${missing.join(", ")} their linux.resources limits are refused`);
}

/** cgroup.freeze and cgroup.kill exist only below the root: look in a probe cgroup. */
function checkCgroupFiles(): CheckResult {
  const probe = join(CGROUP2_ROOT, `crio-lxc-check-${process.pid}`);
  try {
    mkdirSync(probe);
  } catch (err) {
    return result("cgroup-files", "fail", `cannot create the probe cgroup ${probe}: ${(err as Error).message}`);
  }
  try {
    const freeze = existsSync(join(probe, "cgroup.freeze"));
    const kill = existsSync(join(probe, "cgroup.kill"));
    if (!freeze) return result("cgroup-files", "fail", "no cgroup.freeze (Linux 5.2 or newer): pause and resume can't work");
    if (!kill) return result("cgroup-files", "warn", "cgroup.freeze present; no cgroup.kill (Linux 5.14): kill --all signals processes one by one");
    return result("cgroup-files", "ok", "cgroup.freeze and cgroup.kill present");
  } finally {
    rmdirSync(probe);
  }
}

export function kernelVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function checkKernel(text: string): CheckResult {
  const version = kernelVersion(text);
  const [major, minor] = MIN_KERNEL;
  const needed = `${major}.${minor} or newer needed`;
  if (!version) return result("kernel", "fail", `cannot read the version of kernel ${text} (${needed})`);
  const recent = version[0] > major || (version[0] === major && version[1] >= minor);
  return result("kernel", recent ? "ok" : "fail", `${text} (${needed})`);
}

/** The Seccomp: field of a /proc/<pid>/status: undefined when the kernel has no seccomp. */
function seccompMode(status: string): number | undefined {
  const m = /^Seccomp:\s+(\d)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

function checkSeccomp(settings: Settings | undefined, lxc: LiblxcFindings | undefined): CheckResult {
  const mode = seccompMode(readFileSync("/proc/self/status", "utf8"));
  const problems = [
    ...(mode === undefined ? ["the kernel has no seccomp (no Seccomp: field in /proc/self/status)"] : []),
    ...(lxc && !lxc.libseccomp ? [`liblxc ${lxc.version} is not linked with libseccomp`] : []),
  ];
  if (settings && !settings.seccomp) return result("seccomp", "warn", "disabled by CRIO_LXC_SECCOMP=false: linux.seccomp profiles are skipped");
  if (problems.length) return result("seccomp", "fail", `${problems.join("; ")}: containers with linux.seccomp can't be created (or set CRIO_LXC_SECCOMP=false)`);
  if (mode === 2) return result("seccomp", "warn", "available, but crio-lxc itself runs under a seccomp filter: exec into a container with linux.seccomp is refused");
  return result("seccomp", "ok", `kernel seccomp and liblxc${lxc ? `'s libseccomp` : ""} available`);
}

function checkAppArmor(settings: Settings | undefined): CheckResult {
  if (!hostHasAppArmor()) return result("apparmor", "ok", "not enabled on this host: a process.apparmorProfile is refused unless CRIO_LXC_APPARMOR=false");
  if (settings && !settings.apparmor) return result("apparmor", "warn", "enabled on this host but switched off by CRIO_LXC_APPARMOR=false: containers run unconfined");
  return result("apparmor", "ok", "enabled: profiles are applied");
}

function checkPtrace(): CheckResult {
  let scope: string;
  try {
    scope = readFileSync("/proc/sys/kernel/yama/ptrace_scope", "utf8").trim();
  } catch {
    return result("ptrace", "ok", "allowed (no Yama ptrace_scope)");
  }
  if (scope === "3") {
    return result("ptrace", "fail", "Yama ptrace_scope is 3 (no ptrace at all): start can't hold the init to hand it over, terminal containers and exec with seccomp fail");
  }
  return result("ptrace", "ok", `allowed (Yama ptrace_scope ${scope})`);
}

/** Every check, in order; a check that depends on a failed one is left out. */
export function runChecks(flags: SettingFlags, env: Record<string, string | undefined> = process.env): CheckResult[] {
  const [envFile, settings] = checkEnvFile(flags, env);
  const results = [envFile];
  const cgroup2 = checkCgroup2(readFileSync("/proc/self/mountinfo", "utf8"));
  results.push(cgroup2);
  if (cgroup2.status === "ok") results.push(checkControllers(), checkCgroupFiles());
  results.push(checkKernel(release()));
  const liblxc = checkLiblxc(settings?.liblxc ?? env.CRIO_LXC_LIBLXC ?? "auto");
  results.push(...liblxc.results);
  results.push(checkSeccomp(settings, liblxc.findings), checkAppArmor(settings), checkPtrace());
  return results;
}
