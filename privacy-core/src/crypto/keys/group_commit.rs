//! [`GroupCommit`]: concurrent requests for new data keys share one store transaction.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::crypto::error::{Error, Result};

/// Batches concurrent requests: the first caller to find no batch in progress leads, commits
/// every request queued so far in one call, and hands each waiter its result; callers that
/// arrive meanwhile queue for the next batch. Under load a commit serves many callers, so the
/// cost of a durable transaction is shared; alone, a caller commits at once.
pub(crate) struct GroupCommit<T> {
    queue: Mutex<Queue<T>>,
    done: Condvar,
}

struct Queue<T> {
    pending: Vec<(String, Arc<Ticket<T>>)>,
    leading: bool,
}

/// Where a waiter's result is put.
struct Ticket<T>(Mutex<Option<Result<T>>>);

impl<T: Clone> GroupCommit<T> {
    pub(crate) fn new() -> GroupCommit<T> {
        GroupCommit {
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                leading: false,
            }),
            done: Condvar::new(),
        }
    }

    /// The result for `key`, from a `commit` of the batch it joined; `commit` gets the keys
    /// of a batch in arrival order and returns one result per key, in the same order.
    pub(crate) fn run(&self, key: &str, commit: impl Fn(&[&str]) -> Result<Vec<T>>) -> Result<T> {
        let ticket = Arc::new(Ticket(Mutex::new(None)));
        let mut queue = self.queue.lock()?;
        queue.pending.push((key.to_owned(), Arc::clone(&ticket)));
        loop {
            if let Some(result) = ticket.0.lock()?.take() {
                return result;
            }
            if queue.leading {
                queue = self.done.wait(queue)?;
                continue;
            }
            queue.leading = true;
            let batch = std::mem::take(&mut queue.pending);
            drop(queue);
            {
                // Hands leadership back even if `commit` panics or a lock fails.
                let _lead = Lead(self);
                let keys: Vec<&str> = batch.iter().map(|(k, _)| k.as_str()).collect();
                let outcome = commit(&keys);
                for (i, (_, waiter)) in batch.iter().enumerate() {
                    let result = match &outcome {
                        Ok(results) => results.get(i).cloned().ok_or(Error::CorruptStore {
                            reason: "the store returned fewer rows than keys",
                        }),
                        Err(e) => Err(e.clone()),
                    };
                    *lock(&waiter.0) = Some(result);
                }
            }
            queue = self.queue.lock()?;
        }
    }
}

/// Ends a leader's turn: the next waiter whose request is still pending leads.
struct Lead<'a, T>(&'a GroupCommit<T>);

impl<T> Drop for Lead<'_, T> {
    fn drop(&mut self) {
        lock(&self.0.queue).leading = false;
        self.0.done.notify_all();
    }
}

/// A lock even if a panicking thread poisoned it (the data is a plain queue or slot).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn concurrent_callers_share_commits_and_each_gets_its_own_result() {
        let group = Arc::new(GroupCommit::<String>::new());
        let commits = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (group, commits) = (Arc::clone(&group), Arc::clone(&commits));
                std::thread::spawn(move || {
                    group
                        .run(&format!("k{i}"), |keys| {
                            commits.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            Ok(keys.iter().map(|k| format!("{k}!")).collect())
                        })
                        .expect("committed")
                })
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            assert_eq!(t.join().expect("joined"), format!("k{i}!"));
        }
        assert!(commits.load(Ordering::SeqCst) < 16, "no batching");
    }

    #[test]
    fn a_failed_commit_fails_its_batch_and_the_next_caller_leads() {
        let group = GroupCommit::<u32>::new();
        assert_eq!(
            group.run("a", |_| Err(Error::Random)).unwrap_err(),
            Error::Random
        );
        assert_eq!(group.run("b", |keys| Ok(vec![7; keys.len()])).unwrap(), 7);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.run("c", |_| panic!("commit panicked"))
        }));
        assert!(panicked.is_err());
        assert_eq!(group.run("d", |keys| Ok(vec![8; keys.len()])).unwrap(), 8);
    }
}
