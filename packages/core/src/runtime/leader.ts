/** One bid for leadership of a named role. */
export interface Campaign {
  isLeader(): boolean;
  /** Gives the role up (if held) and stops bidding. */
  stop(): Promise<void>;
}

/**
 * Decides which instance runs each background loop. With several instances on one database exactly one holds a
 * role at a time, and the role moves to another within seconds when its holder dies.
 */
export interface LeaderElection {
  readonly kind: string;
  /**
   * Bids for `role`. `onElected(signal)` runs each time this instance becomes the leader; `signal` aborts the
   * moment it stops being the leader (stepped down, lost its database connection, or `stop()`).
   */
  campaign(role: string, onElected: (signal: AbortSignal) => void): Campaign;
  close?(): Promise<void>;
}

/**
 * Leadership for a single instance: every role is held at once.
 * @example createLoop({ name: 'lease-expiry', leader: soleLeader(), ... })
 */
export function soleLeader(): LeaderElection {
  return {
    kind: 'sole',
    campaign(_role, onElected) {
      const controller = new AbortController();
      onElected(controller.signal);
      return {
        isLeader: () => !controller.signal.aborted,
        async stop() {
          controller.abort(new Error('campaign stopped'));
        },
      };
    },
  };
}
