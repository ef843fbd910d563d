//! A few dedicated threads for argon2id. Each hash fills 19 MiB; on tokio's blocking pool
//! every thread that ever hashed kept a malloc arena that size (glibc raises its mmap threshold
//! after the first free), so memory grew with the pool: about 2 GiB after 1000 registrations
//! (`make bench`). Here at most one thread per core hashes, and the rest wait their turn.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{CoreError, CoreResult};

type Job = Box<dyn FnOnce() + Send>;

static JOBS: OnceLock<Sender<Job>> = OnceLock::new();

fn start() -> Sender<Job> {
    let (jobs, queue) = channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    for n in 0..threads {
        let queue = Arc::clone(&queue);
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || work(&queue));
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start a password hashing thread");
        }
    }
    jobs
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

/// Runs `f` on a hashing thread and waits for it without blocking the runtime.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    JOBS.get_or_init(start)
        .send(Box::new(move || {
            let _ = reply.send(f());
        }))
        .map_err(|_| CoreError::Hashing("the hashing threads are gone".into()))?;
    answer
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
}
