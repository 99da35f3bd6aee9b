// The shared object scripts/build.ts compiles from the native units, embedded
// in dist/crio-lxc as a file (a /$bunfs/ path at run time). Only the compiled
// binary loads this module: a source checkout has no such file.
import library from "../../dist/native/crio-lxc-native.so" with { type: "file" };

export default library;
