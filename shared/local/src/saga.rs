//! The local Step Functions: runs `infra/booking-saga.asl.json` with the ASL interpreter,
//! calling the same step code the step Lambdas run. Executions are named by booking id and
//! recorded in the store, so a name runs once and a run cut short (a crash) is resumed.

use crate::asl::{Outcome, StateMachine, TaskError, TaskFailure, TaskFuture, TaskRunner};
use async_trait::async_trait;
use serde_json::{Value, json};
use stagepass_api::Step;
use stagepass_domain::{BookingId, Bookings, InfraError, Workflow};
use stagepass_embedded::EmbeddedStore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The saga definition, the same file `template.yaml` deploys.
pub const SAGA_ASL: &str = include_str!("../../../infra/booking-saga.asl.json");

/// Faults to inject into a step, for tests of the saga's guarantees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next `n` calls fail with `DependencyUnavailable` before running.
    Transient(u32),
    /// Every call fails with a permanent error before running.
    Permanent,
    /// The process dies just before the step runs (once).
    CrashBefore,
    /// The step runs, then the process dies before the state machine hears back (once).
    CrashAfter,
}

pub struct LocalSaga {
    /// Itself, so `start` can hand a spawned run its own handle.
    me: Weak<LocalSaga>,
    machine: StateMachine,
    store: EmbeddedStore,
    bookings: OnceLock<Weak<Bookings>>,
    /// Run executions as soon as they start (`make run`); tests may run them by hand.
    auto_run: bool,
    delay_scale: f64,
    faults: Mutex<HashMap<Step, Fault>>,
    transitions: AtomicU64,
    task_calls: AtomicU64,
}

impl LocalSaga {
    pub fn new(
        store: EmbeddedStore,
        auto_run: bool,
        delay_scale: f64,
    ) -> Result<Arc<Self>, String> {
        let machine = StateMachine::parse(SAGA_ASL).map_err(|e| format!("saga ASL: {e}"))?;
        Ok(Arc::new_cyclic(|me| Self {
            me: me.clone(),
            machine,
            store,
            bookings: OnceLock::new(),
            auto_run,
            delay_scale,
            faults: Mutex::new(HashMap::new()),
            transitions: AtomicU64::new(0),
            task_calls: AtomicU64::new(0),
        }))
    }

    /// The use cases the steps call (set once the app is built: they need this workflow).
    pub fn attach(&self, bookings: &Arc<Bookings>) {
        let _ = self.bookings.set(Arc::downgrade(bookings));
    }

    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    pub fn inject(&self, step: Step, fault: Fault) {
        self.faults.lock().expect("faults lock").insert(step, fault);
    }

    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults lock").clear();
    }

    /// (state transitions, task calls) over every execution so far.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.transitions.load(Ordering::Relaxed),
            self.task_calls.load(Ordering::Relaxed),
        )
    }

    /// Runs one execution to its end (or to an injected crash).
    pub async fn execute(&self, booking: &str) -> Result<Outcome, String> {
        let run = self
            .machine
            .execute(json!({ "booking_id": booking }), self, self.delay_scale)
            .await;
        self.transitions
            .fetch_add(u64::from(run.transitions), Ordering::Relaxed);
        self.task_calls
            .fetch_add(u64::from(run.task_calls), Ordering::Relaxed);
        match &run.outcome {
            Outcome::Crashed => {
                tracing::warn!(booking, "saga run crashed (injected); it stays running");
            }
            Outcome::Succeeded(_) => self.store.finish_execution(booking, "succeeded").await?,
            Outcome::Failed { error, .. } => {
                tracing::info!(booking, error, "saga ended in failure");
                self.store.finish_execution(booking, "failed").await?
            }
        }
        Ok(run.outcome)
    }

    /// Runs every execution still marked running (after a crash or a restart).
    pub async fn resume(&self) -> Result<usize, String> {
        let running = self.store.running_executions().await?;
        for name in &running {
            self.execute(name).await?;
        }
        Ok(running.len())
    }

    fn take_fault(&self, step: Step) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults lock");
        let fault = faults.get(&step).copied()?;
        match fault {
            Fault::Permanent => {}
            Fault::Transient(n) if n > 1 => {
                faults.insert(step, Fault::Transient(n - 1));
            }
            _ => {
                faults.remove(&step);
            }
        }
        Some(fault)
    }
}

impl TaskRunner for LocalSaga {
    fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a> {
        Box::pin(async move {
            let fail = |error: &str, message: &str| {
                Err(TaskFailure::Error(TaskError {
                    error: error.into(),
                    cause: json!({"errorType": error, "errorMessage": message}).to_string(),
                }))
            };
            let Some(step) = Step::from_resource(resource) else {
                return fail(
                    "States.TaskFailed",
                    &format!("no local handler for {resource}"),
                );
            };
            let Some(bookings) = self.bookings.get().and_then(Weak::upgrade) else {
                return fail("DependencyUnavailable", "the app is shutting down");
            };
            let fault = self.take_fault(step);
            match fault {
                Some(Fault::Transient(_)) => {
                    return fail("DependencyUnavailable", "injected transient fault");
                }
                Some(Fault::Permanent) => return fail("InjectedFault", "injected permanent fault"),
                Some(Fault::CrashBefore) => return Err(TaskFailure::Crash),
                _ => {}
            }
            let result = step.run(&bookings, input).await;
            if fault == Some(Fault::CrashAfter) {
                return Err(TaskFailure::Crash);
            }
            match result {
                Ok(v) => Ok(v),
                Err(e) => fail(e.name(), &e.to_string()),
            }
        })
    }
}

#[async_trait]
impl Workflow for LocalSaga {
    async fn start(&self, booking: &BookingId) -> Result<(), InfraError> {
        let new = self
            .store
            .begin_execution(booking.as_str())
            .await
            .map_err(InfraError)?;
        if new
            && self.auto_run
            && let Some(saga) = self.me.upgrade()
        {
            let name = booking.to_string();
            tokio::spawn(async move {
                if let Err(e) = saga.execute(&name).await {
                    tracing::error!(booking = %name, error = %e, "saga run failed to record");
                }
            });
        }
        Ok(())
    }
}
