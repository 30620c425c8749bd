declare module 'vitest' {
  export interface ProvidedContext {
    /** Root URL (no `/v1`) of the fixture model server started by tools/test/setup-fixture-model.ts. */
    fixtureModelUrl: string;
  }
}

export {};
