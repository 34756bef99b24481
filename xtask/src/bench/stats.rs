//! Latency statistics: nearest-rank percentiles and the per-decile view used
//! for the workloads whose cost may grow as they go (group growth, index
//! paging).

use std::time::Duration;

/// Number of buckets of the per-decile view.
pub(crate) const DECILES: usize = 10;

/// The `p`-th percentile (0 < p <= 100) of `sorted` by the nearest-rank
/// method: the smallest value with at least p% of the values at or below it.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Count, median and 99th percentile of a set of latencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    /// How many latencies there were.
    pub(crate) count: usize,
    /// The median.
    pub(crate) p50: Duration,
    /// The 99th percentile.
    pub(crate) p99: Duration,
}

/// The summary of `latencies` (sorted in place), or `None` if empty.
pub(crate) fn summarize(latencies: &mut [Duration]) -> Option<Summary> {
    latencies.sort_unstable();
    Some(Summary {
        count: latencies.len(),
        p50: percentile(latencies, 50.0)?,
        p99: percentile(latencies, 99.0)?,
    })
}

/// The bucket (0..10) of `position` among `total` positions: the decile of
/// the group size, or of the result set, a request worked at.
pub(crate) fn decile(position: usize, total: usize) -> usize {
    if total == 0 {
        return 0;
    }
    (position.saturating_mul(DECILES) / total).min(DECILES - 1)
}

/// One summary per decile, from `(bucket, latency)` samples.
pub(crate) fn by_decile(samples: &[(usize, Duration)]) -> Vec<Option<Summary>> {
    let mut buckets: Vec<Vec<Duration>> = vec![Vec::new(); DECILES];
    for &(bucket, latency) in samples {
        buckets[bucket.min(DECILES - 1)].push(latency);
    }
    buckets.iter_mut().map(|b| summarize(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&ms(&[7]), 99.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
        // Small sets: the median of four is the second value.
        assert_eq!(
            percentile(&ms(&[1, 2, 3, 4]), 50.0),
            Some(Duration::from_millis(2))
        );
    }

    #[test]
    fn summaries_sort_their_input() {
        let mut values = ms(&[30, 10, 20]);
        let s = summarize(&mut values).unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(s.p50, Duration::from_millis(20));
        assert_eq!(s.p99, Duration::from_millis(30));
        assert_eq!(summarize(&mut []), None);
    }

    #[test]
    fn deciles_split_positions_evenly() {
        assert_eq!(decile(0, 10_000), 0);
        assert_eq!(decile(999, 10_000), 0);
        assert_eq!(decile(1_000, 10_000), 1);
        assert_eq!(decile(9_999, 10_000), 9);
        assert_eq!(decile(10_000, 10_000), 9, "the end belongs to the last");
        assert_eq!(decile(5, 0), 0);
        let samples = [
            (0, Duration::from_millis(1)),
            (0, Duration::from_millis(3)),
            (9, Duration::from_millis(8)),
        ];
        let view = by_decile(&samples);
        assert_eq!(view.len(), DECILES);
        assert_eq!(view[0].unwrap().count, 2);
        assert_eq!(view[0].unwrap().p50, Duration::from_millis(1));
        assert_eq!(view[1], None);
        assert_eq!(view[9].unwrap().p99, Duration::from_millis(8));
    }
}
