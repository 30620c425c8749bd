import { describeError } from '../errors.js';
import type { TrackingOp } from '../extension-points/store.js';
import type { Logger } from '../logging.js';
import type { TrackingOutbox } from './tracking-outbox.js';

/** The service's side of tracking: journals operations in the outbox when a tracker is in use. */
export class EvaluationTracking {
  constructor(
    readonly outbox: TrackingOutbox,
    readonly enabled: boolean,
    private readonly logger: Logger,
  ) {}

  track(evaluationId: string, ops: TrackingOp[]): void {
    if (!this.enabled || ops.length === 0) return;
    this.outbox.enqueue(evaluationId, ops).catch((err: unknown) => {
      this.logger.error(
        { evaluation_id: evaluationId, err: describeError(err) },
        'cannot journal tracking operations',
      );
    });
  }
}
