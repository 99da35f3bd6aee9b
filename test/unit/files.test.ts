import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRegularFile } from "../../src/files";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readRegularFile", () => {
  test("reads a file whole, empty or not, multi-byte text intact", () => {
    const text = "äöü ✓\n".repeat(5000);
    writeFileSync(join(dir, "text"), text);
    writeFileSync(join(dir, "empty"), "");
    expect(readRegularFile(join(dir, "text"))).toBe(text);
    expect(readRegularFile(join(dir, "empty"))).toBe("");
  });

  test("refuses a file over the limit, and what is not a regular file", () => {
    writeFileSync(join(dir, "big"), "x".repeat(101));
    expect(readRegularFile(join(dir, "big"), 101)).toHaveLength(101);
    expect(() => readRegularFile(join(dir, "big"), 100)).toThrow("is larger than 100 bytes");
    expect(() => readRegularFile(dir)).toThrow("is a directory, not a regular file");
    expect(() => readRegularFile("/dev/zero")).toThrow("is a device, not a regular file");
  });
});
