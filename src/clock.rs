//! Where "now" comes from. Quota decisions take `now` from a [`Clock`] rather than calling
//! `Utc::now()` themselves, so tests can stand on a DST change or a month end and move time on.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The clock the application shares (`AppState.clock`).
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told otherwise. Clones share one time, so a test keeps a
/// handle and moves the clock the application state holds.
#[derive(Debug, Clone)]
pub struct ManualClock {
    at: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            at: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    /// Moves the clock on by `by` (a negative duration moves it back).
    pub fn advance(&self, by: Duration) {
        let mut at = self.lock();
        *at += by;
    }

    /// A plain timestamp cannot be left half-written, so a panic elsewhere while the lock was
    /// held (a poisoned mutex) is no reason to panic here too.
    fn lock(&self) -> MutexGuard<'_, DateTime<Utc>> {
        self.at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clones_of_a_manual_clock_share_one_time() {
        let start = Utc.with_ymd_and_hms(2027, 3, 14, 6, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        let shared: SharedClock = Arc::new(clock.clone());
        clock.advance(Duration::hours(2));
        assert_eq!(shared.now(), start + Duration::hours(2));
        clock.set(start);
        assert_eq!(shared.now(), start);
    }

    #[test]
    fn a_poisoned_manual_clock_still_tells_the_time() {
        let start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        let inner = clock.clone();
        let _ = std::thread::spawn(move || {
            let _guard = inner.at.lock();
            panic!("poison the clock");
        })
        .join();
        assert!(clock.at.is_poisoned());
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now(), start + Duration::seconds(1));
    }
}
