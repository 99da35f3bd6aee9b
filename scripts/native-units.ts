// Every native unit the binary embeds: the build compiles them, the tests check them.
import { EXEC_UNIT } from "../src/exec/helper";
import { MONITOR_UNIT } from "../src/lxc/monitor";
import { CONTAINER_MOUNTS_UNIT } from "../src/native/container-mounts";
import { LIBRARY_VERSION_UNIT } from "../src/native/library-version";
import { SPAWN_UNIT } from "../src/native/spawn";

export const NATIVE_UNITS = [MONITOR_UNIT, EXEC_UNIT, SPAWN_UNIT, CONTAINER_MOUNTS_UNIT, LIBRARY_VERSION_UNIT];
