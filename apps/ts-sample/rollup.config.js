// As CCF's app template and tests/npm-app build: one ES module per source module (the
// package's modules included, under dist/src/node_modules/), bare imports of
// @microsoft/ccf-app rewritten by node-resolve to relative paths the bundle can load.
import { nodeResolve } from "@rollup/plugin-node-resolve";
import typescript from "@rollup/plugin-typescript";

export default {
  input: "src/endpoints.ts",
  output: {
    dir: "dist/src",
    format: "es",
    preserveModules: true,
    preserveModulesRoot: "src",
  },
  plugins: [nodeResolve(), typescript({ noEmitOnError: true })],
  onwarn(warning) {
    // A warning is a build problem: unresolved imports would load nothing in the node.
    throw new Error(`rollup: ${warning.message}`);
  },
};
