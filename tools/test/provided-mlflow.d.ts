declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the real MLflow server started by tools/test/setup-mlflow.ts. */
    mlflowTrackingUri: string;
  }
}

export {};
