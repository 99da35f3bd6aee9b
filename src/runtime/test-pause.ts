// Fault injection for tests only. With CRIO_LXC_TEST_PAUSE_AT=<step> in its
// environment the runtime stops itself (SIGSTOP) when it reaches that step, so
// a test can SIGKILL it exactly there: points inside create, start and delete
// that no outside event marks (test/faults/kill-runtime.test.ts). Unset, as
// outside tests, this is one lookup of an environment variable per step.

export const TEST_PAUSE_VARIABLE = "CRIO_LXC_TEST_PAUSE_AT";

export type PauseStep =
  | "create-before-fork" | "create-after-fork" | "create-before-pid-file"
  | "start-init-traced" | "start-after-hand-over"
  | "delete-after-kill";

export function pausePoint(step: PauseStep): void {
  if (process.env[TEST_PAUSE_VARIABLE] === step) process.kill(process.pid, "SIGSTOP");
}
