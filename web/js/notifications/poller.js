// Polling with backoff for the notification bell: every 15 s while things change, doubling up to 2 min when
// nothing changes or a call fails; back to 15 s (and a call at once) on activity: the user's own actions on
// notifications, or a screen telling it news may be there (nudgeNotifications). Paused while the tab is hidden,
// and polled at once when it shows again.

export const BASE_MS = 15_000;
export const MAX_MS = 120_000;

export class BackoffPoller {
  /** `task()` resolves with a result; `changed(result)` says whether it differs from the last one. */
  constructor(task, { changed = () => false, onError = () => {}, base = BASE_MS, max = MAX_MS } = {}) {
    this.task = task;
    this.changed = changed;
    this.onError = onError;
    this.base = base;
    this.max = max;
    this.delay = base;
    this.timer = null;
    this.running = false;
    this.inFlight = null;
    this.onVisibility = () => {
      if (!this.running) return;
      if (document.hidden) this.clear();
      else this.poll();
    };
  }

  start() {
    if (this.running) return;
    this.running = true;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.poll();
  }

  stop() {
    this.running = false;
    this.clear();
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  /** Activity: poll now and go back to the shortest interval. */
  nudge() {
    this.delay = this.base;
    if (this.running) this.poll();
  }

  clear() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  async poll() {
    this.clear();
    if (!this.running || document.hidden) return; // the visibility listener starts again
    if (this.inFlight) {
      this.again = true; // one more round when the current one ends (it may predate the news)
      return;
    }
    let fresh = false;
    this.inFlight = (async () => {
      try {
        fresh = this.changed(await this.task());
      } catch (error) {
        this.onError(error);
        fresh = false;
      }
    })();
    await this.inFlight;
    this.inFlight = null;
    if (!this.running) return;
    if (this.again) {
      this.again = false;
      this.poll();
      return;
    }
    this.delay = fresh ? this.base : Math.min(this.delay * 2, this.max);
    this.schedule();
  }

  schedule() {
    this.clear();
    if (!this.running || document.hidden) return;
    this.nextAt = Date.now() + this.delay;
    this.timer = setTimeout(() => this.poll(), this.delay);
  }
}

let current = null;

/** The bell's poller registers here, so any screen can say "there may be news" without knowing the bell. */
export function setNotificationPoller(poller) {
  current = poller;
}

export function nudgeNotifications() {
  if (current) current.nudge();
}
