import type { StoredTrackingOp } from '../extension-points/store.js';
import type { TrackedArtifact, TrackerRun, TrackingBatch } from '../extension-points/tracker.js';
import { describeError, hasErrorCode } from '../errors.js';
import type { Evaluation } from '../types.js';

/** Tag naming the artifacts a tracker refused for good (comma-separated names), set at the finish. */
export const ARTIFACTS_NOT_STORED_TAG = 'evalhub.artifacts_not_stored';

export function mergeBatches(batches: TrackingBatch[]): TrackingBatch {
  const merged: Required<TrackingBatch> = {
    params: {},
    metrics: {},
    tags: {},
    timestamp: batches[0]!.timestamp,
  };
  for (const b of batches) {
    Object.assign(merged.params, b.params);
    Object.assign(merged.metrics, b.metrics);
    Object.assign(merged.tags, b.tags);
  }
  return merged;
}

/** An artifact the tracker refused with a PermanentTrackingError. */
export interface UnstoredArtifact {
  seq: number;
  name: string;
  error: string;
}

export interface DeliveryContext {
  run: TrackerRun;
  /** Marks journal entries delivered. */
  complete(seqs: number[]): Promise<void>;
  /** The evaluation as it is now (final at a finish). */
  current(): Promise<Evaluation>;
  /**
   * Artifacts refused for good earlier (by seq): not sent again, kept in the journal until the run's
   * finish names them. Filled by deliverOps as it meets new ones.
   */
  unstored: Map<number, UnstoredArtifact>;
}

/**
 * Delivers one evaluation's pending journal entries to its run, in order. Between the run's start
 * and finish, consecutive params/metrics/tags operations are merged into one delivery, sent
 * concurrently with the artifact uploads among them; right before a finish the merged batch travels
 * with the finish. An artifact the tracker refuses permanently does not hold back the run's closing:
 * it is recorded, and the finish carries its name in the `evalhub.artifacts_not_stored` tag. Throws
 * the first other failure (the journal keeps what was not delivered). Returns whether a finish was
 * delivered.
 */
export async function deliverOps(ops: StoredTrackingOp[], ctx: DeliveryContext): Promise<boolean> {
  const { run } = ctx;
  let finished = false;
  for (let i = 0; i < ops.length;) {
    const current = ops[i]!;
    if (current.op.op === 'log' || current.op.op === 'artifact') {
      let j = i;
      while (j < ops.length && (ops[j]!.op.op === 'log' || ops[j]!.op.op === 'artifact')) j++;
      const group = ops.slice(i, j);
      const logs = group.filter((o) => o.op.op === 'log');
      const artifacts = group.filter((o) => o.op.op === 'artifact' && !ctx.unstored.has(o.seq));
      const closing = ops[j]?.op.op === 'finish';
      const deliveries: { seqs: number[]; artifact?: StoredTrackingOp; send: () => Promise<void> }[] =
        artifacts.map((o) => ({
          seqs: [o.seq],
          artifact: o,
          send: () => run.logArtifact((o.op as { artifact: TrackedArtifact }).artifact),
        }));
      const batch = logs.length
        ? mergeBatches(logs.map((o) => (o.op as { batch: TrackingBatch }).batch))
        : undefined;
      if (batch && !closing) deliveries.unshift({ seqs: logs.map((o) => o.seq), send: () => run.log(batch) });
      const results = await Promise.allSettled(deliveries.map((d) => d.send()));
      const done: number[] = [];
      let failure: unknown;
      results.forEach((r, k) => {
        const d = deliveries[k]!;
        if (r.status === 'fulfilled') done.push(...d.seqs);
        else if (d.artifact && hasErrorCode(r.reason, 'tracking_failed')) {
          const a = (d.artifact.op as { artifact: TrackedArtifact }).artifact;
          ctx.unstored.set(d.artifact.seq, {
            seq: d.artifact.seq,
            name: a.name,
            error: describeError(r.reason),
          });
        } else failure ??= r.reason;
      });
      if (done.length) await ctx.complete(done);
      if (failure !== undefined) throw failure;
      if (closing) {
        await finishRun(ctx, batch, [...logs.map((o) => o.seq), ops[j]!.seq]);
        finished = true;
        i = j + 1;
        continue;
      }
      i = j;
      continue;
    }
    if (current.op.op === 'finish') {
      await finishRun(ctx, undefined, [current.seq]);
      finished = true;
    } else await ctx.complete([current.seq]);
    i++;
  }
  return finished;
}

async function finishRun(
  ctx: DeliveryContext,
  batch: TrackingBatch | undefined,
  seqs: number[],
): Promise<void> {
  const unstored = [...ctx.unstored.values()];
  let last = batch;
  if (unstored.length) {
    last = mergeBatches([
      ...(batch ? [batch] : []),
      { tags: { [ARTIFACTS_NOT_STORED_TAG]: unstored.map((u) => u.name).join(', ') }, timestamp: Date.now() },
    ]);
  }
  await ctx.run.finish(await ctx.current(), last);
  // The refused artifacts leave the journal with the finish that named them.
  await ctx.complete([...seqs, ...unstored.map((u) => u.seq)]);
}
