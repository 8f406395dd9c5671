//! Runs a FUSE request's work on the FUSE thread until it first waits, and
//! gives it to the runtime only when what it waits for arrives.
//!
//! Spawning every request on the runtime costs a thread wake-up before the
//! request even reaches the master; on a loaded machine that wake-up waits
//! for a time slice. Started here, the request is on the master's socket
//! at once, and the runtime thread that reads the answer is the one that
//! wakes the work and finishes it, so a metadata request costs the two
//! wake-ups mfsmount's does (its worker thread and its receiver thread).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::Handle;

use crate::data::lock;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Polls `work` on this thread; if it waits, it is spawned on `runtime`
/// when it is first woken. Work that never waits finishes here.
pub fn start_here(runtime: &Handle, work: impl Future<Output = ()> + Send + 'static) {
    let mut task: Task = Box::pin(work);
    let parked = Arc::new(Parked {
        state: Mutex::new(State::Polling { woken: false }),
        runtime: runtime.clone(),
    });
    let waker = Waker::from(parked.clone());
    let _in_runtime = runtime.enter();
    if let Poll::Ready(()) = task.as_mut().poll(&mut Context::from_waker(&waker)) {
        return;
    }
    let mut state = lock(&parked.state);
    match *state {
        State::Polling { woken: true } => {
            *state = State::Moved;
            drop(state);
            runtime.spawn(task);
        }
        _ => *state = State::Parked(task),
    }
}

/// The work between its first wait and its wake-up.
struct Parked {
    state: Mutex<State>,
    runtime: Handle,
}

enum State {
    /// Being polled on the FUSE thread; `woken` if a wake came meanwhile.
    Polling { woken: bool },
    /// Waiting for its first wake-up.
    Parked(Task),
    /// On the runtime, which polls it with its own waker from then on.
    Moved,
}

impl Wake for Parked {
    fn wake(self: Arc<Self>) {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut *state, State::Moved) {
            State::Polling { .. } => *state = State::Polling { woken: true },
            State::Parked(task) => {
                drop(state);
                self.runtime.spawn(task);
            }
            State::Moved => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    #[test]
    fn work_that_never_waits_finishes_on_the_calling_thread() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let caller = std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel();
        start_here(runtime.handle(), async move {
            tx.send(std::thread::current().id()).expect("send");
        });
        assert_eq!(rx.try_recv(), Ok(caller));
    }

    #[test]
    fn work_that_waits_finishes_on_the_runtime_once_woken() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (answer, answered) = oneshot::channel::<u32>();
        let (tx, rx) = std::sync::mpsc::channel();
        start_here(runtime.handle(), async move {
            let value = answered.await.expect("answer");
            tx.send((value, std::thread::current().id())).expect("send");
        });
        assert!(rx.try_recv().is_err(), "finished before its answer came");
        answer.send(7).expect("still waiting");
        let (value, thread) = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("finished");
        assert_eq!(value, 7);
        assert_ne!(thread, std::thread::current().id());
    }

    #[test]
    fn a_wake_during_the_first_poll_is_not_lost() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        start_here(runtime.handle(), async move {
            tokio::task::yield_now().await;
            tx.send(()).expect("send");
        });
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("finished after waking itself while first polled");
    }
}
