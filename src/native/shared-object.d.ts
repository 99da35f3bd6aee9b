// `import path from "x.so" with { type: "file" }` gives the embedded file's path.
declare module "*.so" {
  const path: string;
  export default path;
}
