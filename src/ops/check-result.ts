// One finding of `crio-lxc check`: what the checks produce and the report prints.
export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: string;
}
