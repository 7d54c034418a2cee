// The what-if lane to the kernel: writes `instance_values` (ask) one request at a time. The
// first move is sent at once when nothing is in flight (no waiting); while a request is in
// flight the queue keeps only the newest values and sends them when the answer comes (or the
// kernel stops without one), so the round trip itself paces the requests and the newest wins.
import { createRequestQueue, sameValues } from "../common/request_queue.js";

/**
 * ask(changes): a change the kernel computes for (bindModel's ask). onBusy(busy) is told after
 * every step whether a request is in flight. The view tells it: answered(local.values) when
 * an explanation arrives, followStatus() on status changes, clear() when another row is picked.
 */
export function whatifRequests(model, { ask, onBusy = () => {} }) {
  let sending = false; // our own write of instance_values: not a change for the controls to follow
  let lastStatus = model.get("status");
  let disposed = false;
  const queue = createRequestQueue((values) => {
    sending = true;
    try {
      ask({ instance_values: values });
    } finally {
      sending = false;
    }
    onBusy(queue.busy());
  });
  const show = () => onBusy(queue.busy());

  /** The kernel stopped: on error, or done (idle after busy) without our answer (cancelled,
   *  replaced), go on with the pending values. The answer, when there is one, usually comes
   *  in the same message: let its change event go first. */
  const followStatus = () => {
    const state = model.get("status");
    if (state !== lastStatus) {
      if (state === "error") queue.failed();
      else if (state === "idle" && lastStatus === "busy") {
        const token = queue.current();
        queueMicrotask(() => {
          if (disposed) return;
          queue.failed(token);
          show();
        });
      }
      lastStatus = state;
    }
    show();
  };

  return {
    /** Ask for `values` (the whole list), unless nothing is new. */
    submit(values) {
      if (!queue.busy() && sameValues(values, model.get("instance_values"))) return; // nothing new
      queue.request(values);
      show();
    },
    answered(values) {
      if (Array.isArray(values)) queue.answered(values);
      show();
    },
    /** Forget the requests (another row: its own values, not the old row's edits). */
    clear() {
      queue.clear();
      show();
    },
    followStatus,
    isSending: () => sending,
    busy: () => queue.busy(),
    destroy() {
      disposed = true;
      queue.dispose();
    },
  };
}
