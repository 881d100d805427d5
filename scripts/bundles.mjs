// esbuild options shared by the build (esbuild.mjs), the benchmarks and the test support, so a Node
// bundle or the harness plugin is built the same way everywhere.

/**
 * A Node 20 CommonJS bundle. jsonc-parser's "main" is a UMD build that esbuild cannot follow; its
 * "module" build is fine, hence mainFields.
 */
export const NODE_CJS = Object.freeze({ bundle: true, platform: 'node', target: 'node20', format: 'cjs', mainFields: ['module', 'main'], logLevel: 'warning' });

/** The opencode plugin that gives sessions the harness tools: ESM, loaded by the opencode server. */
export function harnessPluginOptions(entry, outfile) {
  return { bundle: true, platform: 'node', format: 'esm', target: 'es2022', entryPoints: [entry], outfile, logLevel: 'warning' };
}
