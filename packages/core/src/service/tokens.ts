import type { InjectionToken } from 'tsyringe';
import type { Logger } from '../logging.js';

export interface ServiceSettings {
  /** Folder for per-evaluation work dirs, logs and artifacts. */
  dataDir: string;
  benchmarkConcurrency: number;
  maxConcurrentEvaluations: number;
  /** Evaluations waiting for a slot before submissions are refused (429); unbounded when absent. */
  maxQueuedEvaluations?: number;
  benchmarkTimeoutSeconds: number;
  /** How many times an interrupted benchmark is started before it is failed. */
  maxAttempts: number;
  /** Lease length on a store with leases (several replicas); renewed every third of it. Default 15 s. */
  leaseMs?: number;
  /** Collection run by a request that names neither `benchmarks` nor `collection_id`. */
  defaultCollection?: string;
  /** Route benchmarks (of providers that use it) through the hub's model gateway. Default false. */
  modelGateway?: boolean;
  hubVersion: string;
  /** Tracking retry delays (tests shorten them). */
  trackingBaseDelayMs?: number;
  trackingMaxDelayMs?: number;
}

export const LoggerToken: InjectionToken<Logger> = Symbol.for('evalhub.logger');
export const ServiceSettingsToken: InjectionToken<ServiceSettings> = Symbol.for('evalhub.service-settings');
