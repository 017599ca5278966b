// Subscribes the window to the stream's pushes: statistics re-render the
// Stream statistics region (at most ~30 times a second, as pushed), points go
// straight into the StreamFeed the plot draws from. A new stream starts a new
// feed.
import { useEffect, useMemo, useState } from 'react';
import type { ApiError, SharedMemoryApi, StreamStatistics, StreamUpdate } from '../../../api/shared-memory-api.js';
import { StreamFeed } from './stream-feed.js';

export interface StreamFeedView {
  feed: StreamFeed;
  statistics: StreamStatistics | null;
  state: StreamUpdate['state'] | null;
  /** The last push that failed its schema, if any. */
  pushError: ApiError | null;
}

export function useStreamFeed(api: SharedMemoryApi): StreamFeedView {
  const feed = useMemo(() => new StreamFeed(), []);
  const [snapshot, setSnapshot] = useState<Omit<StreamFeedView, 'feed'>>({ statistics: null, state: null, pushError: null });

  useEffect(() => {
    const stopUpdates = api.subscribe('streamUpdate', (event) => {
      if (!event.ok) {
        setSnapshot((s) => ({ ...s, pushError: event.error }));
        return;
      }
      feed.apply(event.value);
      setSnapshot({ statistics: event.value.statistics, state: event.value.state, pushError: null });
    });
    const stopChanges = api.subscribe('stateChanged', (event) => {
      if (event.ok && event.value.change === 'stream-started') {
        feed.clear();
        setSnapshot({ statistics: null, state: 'running', pushError: null });
      }
    });
    return () => {
      stopUpdates();
      stopChanges();
    };
  }, [api, feed]);

  return { feed, ...snapshot };
}
