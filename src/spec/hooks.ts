// config.json `hooks`: the parts crio-lxc can't honour. Running them is the
// runtime's (runtime/oci-hooks.ts); the schema is in schema.ts.
import { refuse } from "./errors";
import { isolates, type NamespacePlan } from "./namespaces";
import type { Spec } from "./schema";

const CREATE_PHASE = ["prestart", "createRuntime", "createContainer"] as const;

export function refuseUnsupportedHooks(spec: Spec, plan: NamespacePlan): void {
  if (!isolates(plan, "user")) return;
  for (const phase of CREATE_PHASE) {
    // The hold before pivot_root runs as the container's root, which can't reach the state directory.
    if (spec.hooks?.[phase]?.length) refuse(["hooks", phase], "not supported yet with a user namespace");
  }
}
