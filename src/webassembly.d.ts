/**
 * The part of the WebAssembly JavaScript API the kernels use (src/math/backend.ts). Node has it
 * globally, but @types/node 20 does not declare it and TypeScript's declaration lives in the DOM
 * library, which this project leaves out so browser globals cannot slip into server code.
 */
declare namespace WebAssembly {
  class Module {
    constructor (bytes: Uint8Array)
  }
  class Instance {
    constructor (module: Module, imports: object)
    readonly exports: Record<string, unknown>
  }
  class Memory {
    readonly buffer: ArrayBuffer
    /** @returns the previous size in 64 KiB pages; throws a RangeError when it cannot grow */
    grow (pages: number): number
  }
}
