//! A few dedicated threads for argon2id. Each hash fills 19 MiB; on tokio's blocking pool
//! every thread that ever hashed kept a malloc arena that size (glibc raises its mmap threshold
//! after the first free), so memory grew with the pool: about 2 GiB after 1000 registrations
//! (`make bench`). Here at most one thread per core hashes, and the rest wait their turn in a
//! bounded queue: when it is full the caller is told "busy" at once ([`CoreError::Busy`])
//! instead of piling up behind minutes of hashing.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

use crate::error::{CoreError, CoreResult};

/// Jobs that may wait per hashing thread. At tens of milliseconds a hash the last of them
/// starts within a couple of seconds; a caller beyond that is better told to come back.
const QUEUED_JOBS_PER_THREAD: usize = 32;
/// What a caller refused for a full queue is told to wait: the queue drains in about that.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and their queue of at most `capacity` waiting jobs.
struct Pool {
    jobs: SyncSender<Job>,
}

impl Pool {
    fn start(threads: usize, capacity: usize) -> Self {
        let (jobs, queue) = sync_channel::<Job>(capacity.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// Queues `f`, or refuses at once with [`CoreError::Busy`] when the queue is full.
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> CoreResult<oneshot::Receiver<T>> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(f());
        });
        match self.jobs.try_send(job) {
            Ok(()) => Ok(answer),
            Err(TrySendError::Full(_)) => Err(CoreError::Busy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            }),
            Err(TrySendError::Disconnected(_)) => {
                Err(CoreError::Hashing("the hashing threads are gone".into()))
            }
        }
    }
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn shared() -> &'static Pool {
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 8);
        Pool::start(threads, threads * QUEUED_JOBS_PER_THREAD)
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only to take a job, never while running one.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `f` on a hashing thread and waits for it without blocking the runtime; fails fast
/// with [`CoreError::Busy`] when too many jobs wait already.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
    shared()
        .submit(f)?
        .await
        .map_err(|_| CoreError::Hashing("a hashing thread stopped".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_all_of_them_answer() {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                tokio::spawn(run(move || {
                    (i, std::thread::current().name().map(str::to_owned))
                }))
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let (n, name) = task.await.unwrap().unwrap();
            assert_eq!(n, i);
            assert!(
                name.unwrap_or_default().starts_with("argon2-"),
                "on a hashing thread"
            );
        }
    }

    #[test]
    fn a_full_queue_answers_busy_at_once_and_the_queued_job_still_runs() {
        let pool = Pool::start(1, 1);
        let (started, has_started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let running = pool
            .submit(move || {
                let _ = started.send(());
                let _ = released.recv();
                "first"
            })
            .unwrap();
        has_started.recv().unwrap();
        let queued = pool.submit(|| "second").unwrap();
        let refused = pool.submit(|| "third");
        assert!(
            matches!(
                refused,
                Err(CoreError::Busy {
                    retry_after_secs: BUSY_RETRY_AFTER_SECS
                })
            ),
            "the third job finds the queue full"
        );
        release.send(()).unwrap();
        assert_eq!(running.blocking_recv().unwrap(), "first");
        assert_eq!(queued.blocking_recv().unwrap(), "second");
        assert!(pool.submit(|| "fourth").is_ok(), "room again once drained");
    }
}
