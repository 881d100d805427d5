import type { BuildOptions } from 'esbuild';

export declare const NODE_CJS: Readonly<BuildOptions>;
export declare function harnessPluginOptions(entry: string, outfile: string): BuildOptions;
