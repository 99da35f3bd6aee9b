import { describe, expect, test } from "bun:test";
import { execFlagsEnd, parseExecArgv } from "../../src/exec/options";

const errorOf = (argv: string[]) => {
  try {
    parseExecArgv(argv);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected an error");
};

describe("exec argv", () => {
  test("flags, id, then the command verbatim (its own flags included)", () => {
    const opts = parseExecArgv(["--cwd", "/tmp", "-e", "A=1", "c1", "sh", "-c", "echo -e hi", "--env", "X"]);
    expect(opts).toMatchObject({ id: "c1", cwd: "/tmp", env: ["A=1"], command: ["sh", "-c", "echo -e hi", "--env", "X"] });
  });

  test("repeatable flags keep every value, in order", () => {
    const opts = parseExecArgv(["-e", "A=1", "--env=B=2", "--env", "C=3", "--cap", "CAP_KILL", "-c", "NET_ADMIN", "-g", "10", "--additional-gids=20", "c1", "true"]);
    expect(opts.env).toEqual(["A=1", "B=2", "C=3"]);
    expect(opts.caps).toEqual(["CAP_KILL", "NET_ADMIN"]);
    expect(opts.additionalGids).toEqual([10, 20]);
  });

  test("podman's form: --process with --detach and --pid-file", () => {
    const opts = parseExecArgv(["--pid-file", "/run/p", "--process", "/run/process.json", "--detach", "c1"]);
    expect(opts).toMatchObject({ id: "c1", pidFile: "/run/p", processFile: "/run/process.json", detach: true, command: [] });
  });

  test("booleans: bare, =true, =false; Go-style single-dash long names", () => {
    expect(parseExecArgv(["-d", "c1", "x"]).detach).toBe(true);
    expect(parseExecArgv(["--no-new-privs=false", "c1", "x"]).noNewPrivs).toBe(false);
    expect(parseExecArgv(["--no-new-privs", "c1", "x"]).noNewPrivs).toBe(true);
    expect(parseExecArgv(["-cwd", "/x", "c1", "y"]).cwd).toBe("/x");
    expect(parseExecArgv(["--ignore-paused", "c1", "y"]).ignorePaused).toBe(true);
  });

  test("--user: UID or UID:GID, numeric", () => {
    expect(parseExecArgv(["-u", "1000", "c1", "x"]).user).toEqual({ uid: 1000 });
    expect(parseExecArgv(["--user=1000:50", "c1", "x"]).user).toEqual({ uid: 1000, gid: 50 });
    expect(errorOf(["-u", "nobody", "c1", "x"])).toContain('--user: bad uid "nobody"');
    expect(errorOf(["-u", "1:2:3", "c1", "x"])).toContain("expected UID[:GID]");
  });

  test("-- separates flags from the id, or the id from the command", () => {
    expect(parseExecArgv(["--", "c1", "ls"])).toMatchObject({ id: "c1", command: ["ls"] });
    expect(parseExecArgv(["c1", "--", "ls", "-l"])).toMatchObject({ id: "c1", command: ["ls", "-l"] });
  });

  test("errors name the flag", () => {
    expect(errorOf(["--bogus", "c1", "x"])).toBe("crio-lxc exec: unknown flag --bogus");
    expect(errorOf(["--cwd"])).toContain("flag --cwd needs a value");
    expect(parseExecArgv(["c1", "x", "--cwd"]).command).toEqual(["x", "--cwd"]);
    expect(errorOf(["--preserve-fds", "two", "c1", "x"])).toContain("--preserve-fds: expected a number");
    expect(errorOf(["-g", "-1", "c1", "x"])).toContain("--additional-gids: bad gid");
    expect(errorOf(["--detach=maybe", "c1"])).toContain("--detach: expected true or false");
    expect(errorOf(["-d"])).toContain("a container id is required");
  });

  test("where exec's own flags end, for the central --help and unknown-flag checks", () => {
    expect(execFlagsEnd(["-e", "A=1", "c1", "ls", "--help"])).toBe(3);
    expect(execFlagsEnd(["-d", "--env=A", "c1"])).toBe(3);
    expect(execFlagsEnd(["--", "c1", "-h"])).toBe(2);
    expect(execFlagsEnd(["--help"])).toBe(1);
  });
});
