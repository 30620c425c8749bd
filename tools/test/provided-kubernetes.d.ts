declare module 'vitest' {
  export interface ProvidedContext {
    /** The test Kubernetes cluster started by tools/test/setup-kubernetes.ts. */
    kubernetes: {
      /** `https://127.0.0.1:<port>` of the kube-apiserver. */
      apiUrl: string;
      /** CA certificate of the API server's serving certificate. */
      caFile: string;
      /** A static token in `system:masters`, for test set-up only (the runtime gets a Role-bound token). */
      adminToken: string;
      /** The one kwok node. */
      nodeName: string;
      /** The CRI-format log file kwok serves as every container's log. */
      kwokLogFile: string;
      kubeconfig: string;
    };
  }
}

export {};
