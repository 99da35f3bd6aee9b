import { constants } from "node:os";

export class SignalError extends Error {}

const SIGNALS = constants.signals as Record<string, number>;
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** A signal as runc takes it: a number, or a name with or without SIG (any case), or RTMIN+n / RTMAX-n. */
export function parseSignal(input: string | undefined): number {
  if (input === undefined || input === "") return SIGNALS.SIGTERM!;
  if (/^\d+$/.test(input)) {
    const n = Number(input);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new SignalError(`invalid signal ${input}: must be between 1 and ${SIGRTMAX}`);
  }
  const name = input.toUpperCase().replace(/^SIG/, "");
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === "IN" ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  const number = SIGNALS[`SIG${name}`];
  if (number === undefined) throw new SignalError(`unknown signal ${JSON.stringify(input)}`);
  return number;
}
