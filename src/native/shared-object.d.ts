// `import path from "x.so" with { type: "file" }` gives the embedded file's path.
declare module "*.so" {
  const path: string;
  export default path;
}
declare module "*.so.0" {
  const path: string;
  export default path;
}
declare module "*.so.1" {
  const path: string;
  export default path;
}
declare module "*.so.2" {
  const path: string;
  export default path;
}
