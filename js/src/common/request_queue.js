// Requests to the kernel, one at a time: the newest waiting request replaces an older one,
// and the round trip itself paces them (no timer-based debounce on the first move).

/** Equal lists of numbers up to float32 rounding (relative 1e-6, absolute 1e-9). */
export function sameValues(a, b, rel = 1e-6) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!(Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y)) + 1e-9)) return false;
  }
  return true;
}

/**
 * One what-if request to the kernel at a time; while one is in flight only the newest other
 * request is kept, and sent when the answer comes (answered), the kernel gives up (failed)
 * or timeoutMs passes with no answer. `send(values)` does the actual write.
 * options: timeoutMs (default 15000), setTimer / clearTimer (for tests; default the globals).
 */
export function createRequestQueue(send, { timeoutMs = 15000, setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  let inFlight = null; // {values, token}
  let pending = null; // values
  let timer = null;
  let tokens = 0;

  const stopTimer = () => {
    if (timer !== null) clearTimer(timer);
    timer = null;
  };
  const dispatch = (values) => {
    stopTimer();
    inFlight = { values, token: ++tokens };
    const token = inFlight.token;
    timer = setTimer(() => {
      timer = null;
      if (inFlight && inFlight.token === token) next();
    }, timeoutMs);
    send(values);
  };
  const next = () => {
    inFlight = null;
    stopTimer();
    if (pending) {
      const values = pending;
      pending = null;
      dispatch(values);
    }
  };
  return {
    /** Ask for `values` (a copy is kept): at once when idle, else as the pending request. */
    request(values) {
      const copy = Array.from(values);
      if (!inFlight) return dispatch(copy);
      pending = sameValues(copy, inFlight.values) ? null : copy;
    },
    /** The kernel's explanation is for `values`: done if that is what was asked. */
    answered(values) {
      if (inFlight && sameValues(values, inFlight.values)) next();
    },
    /** The kernel stopped without an answer (error, cancel): go on with the pending one.
     *  With a token (from current()), only if that request is still the one in flight. */
    failed(token) {
      if (!inFlight || (token !== undefined && token !== inFlight.token)) return;
      next();
    },
    /** Forget everything (e.g. another instance was picked). */
    clear() {
      inFlight = null;
      pending = null;
      stopTimer();
    },
    current: () => (inFlight ? inFlight.token : null),
    busy: () => inFlight !== null,
    pendingValues: () => pending,
    inFlightValues: () => (inFlight ? inFlight.values : null),
    dispose() {
      this.clear();
    },
  };
}
