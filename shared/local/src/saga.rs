//! The local Step Functions: runs `infra/booking-saga.asl.json` with the ASL interpreter,
//! invoking the step functions' own handlers by the ARN placeholders the template fills in.
//! Executions are named by booking id and recorded in the store, so a name runs once and a
//! run cut short (a crash) is resumed. Steps never start the saga, so they are wired before
//! it and handed to it: nothing points back.

use crate::asl::{Outcome, StateMachine, TaskError, TaskFailure, TaskFuture, TaskRunner};
use async_trait::async_trait;
use serde_json::{Value, json};
use stagepass_domain::{BookingId, InfraError, Workflow};
use stagepass_embedded::EmbeddedStore;
use stagepass_saga::{SagaStep, StepInput};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// The next call fails before running with this error, as Lambda reports it to Step
    /// Functions: `Sandbox.Timedout` (the function timed out), `Lambda.Unknown` (out of
    /// memory), `Lambda.ClientExecutionTimeoutException` (once).
    Lambda(&'static str),
}

/// The ASL `Resource` placeholder that `DefinitionSubstitutions` fills with a function's ARN:
/// `charge-payment` → `${ChargePaymentFunctionArn}`.
pub fn resource_of(function: &str) -> String {
    let camel: String = function
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("${{{camel}FunctionArn}}")
}

/// The step functions by name.
pub type Steps = HashMap<&'static str, Arc<dyn SagaStep>>;

/// The functions the saga's Tasks name (by their ARN placeholders), wired with `ports`.
pub async fn wire_steps(ports: &stagepass_api::Ports) -> Result<Steps, String> {
    let machine = StateMachine::parse(SAGA_ASL).map_err(|e| format!("saga ASL: {e}"))?;
    let mut steps = Steps::new();
    for resource in machine.task_resources() {
        let function = crate::functions::ALL
            .iter()
            .find(|f| resource_of(f.name) == resource)
            .ok_or_else(|| format!("no function for the saga's {resource}"))?;
        match (function.wire)(ports).await {
            Ok(stagepass_api::Handler::Step(step)) => {
                steps.insert(function.name, step);
            }
            Ok(_) => return Err(format!("{} is not a saga step", function.name)),
            Err(e) => return Err(format!("{}: {e}", function.name)),
        }
    }
    Ok(steps)
}

/// Invokes a step as Step Functions invokes its Lambda: the Task's input in, `{}` or the
/// error (named by `StepError::name`, with Lambda's JSON as cause) out.
pub async fn invoke(step: &dyn SagaStep, input: Value) -> Result<Value, TaskError> {
    let result = match StepInput::parse(input) {
        Ok(input) => step.run(&input).await,
        Err(e) => Err(e),
    };
    result.map(|()| json!({})).map_err(|e| TaskError {
        error: e.name().into(),
        cause: json!({"errorType": e.name(), "errorMessage": e.to_string()}).to_string(),
    })
}

pub struct LocalSaga {
    inner: Arc<Inner>,
}

struct Inner {
    machine: StateMachine,
    store: EmbeddedStore,
    /// By ASL resource: (function name, step).
    steps: HashMap<String, (&'static str, Arc<dyn SagaStep>)>,
    auto_run: bool,
    delay_scale: f64,
    faults: Mutex<HashMap<&'static str, Fault>>,
    transitions: AtomicU64,
    task_calls: AtomicU64,
}

impl LocalSaga {
    /// `auto_run`: run executions as soon as they start (`make run`); tests may run them by
    /// hand. `delay_scale` multiplies Wait and Retry intervals (0.0 never sleeps).
    pub fn new(
        store: EmbeddedStore,
        steps: Steps,
        auto_run: bool,
        delay_scale: f64,
    ) -> Result<Arc<Self>, String> {
        let machine = StateMachine::parse(SAGA_ASL).map_err(|e| format!("saga ASL: {e}"))?;
        let steps = steps
            .into_iter()
            .map(|(name, step)| (resource_of(name), (name, step)))
            .collect();
        Ok(Arc::new(Self {
            inner: Arc::new(Inner {
                machine,
                store,
                steps,
                auto_run,
                delay_scale,
                faults: Mutex::new(HashMap::new()),
                transitions: AtomicU64::new(0),
                task_calls: AtomicU64::new(0),
            }),
        }))
    }

    pub fn machine(&self) -> &StateMachine {
        &self.inner.machine
    }

    /// Injects a fault into the step function with this name.
    pub fn inject(&self, step: &'static str, fault: Fault) {
        self.inner
            .faults
            .lock()
            .expect("faults lock")
            .insert(step, fault);
    }

    pub fn clear_faults(&self) {
        self.inner.faults.lock().expect("faults lock").clear();
    }

    /// (state transitions, task calls) over every execution so far.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.inner.transitions.load(Ordering::Relaxed),
            self.inner.task_calls.load(Ordering::Relaxed),
        )
    }

    /// Runs one execution to its end (or to an injected crash).
    pub async fn execute(&self, booking: &str) -> Result<Outcome, String> {
        self.inner.execute(booking).await
    }

    /// Runs every execution still marked running (after a crash or a restart), all at once:
    /// one saga in payment retries does not hold up the others.
    pub async fn resume(&self) -> Result<usize, String> {
        let running = self.inner.store.running_executions().await?;
        let mut runs = tokio::task::JoinSet::new();
        for name in running.clone() {
            let inner = self.inner.clone();
            runs.spawn(async move { inner.execute(&name).await });
        }
        while let Some(run) = runs.join_next().await {
            run.map_err(|e| format!("a resumed saga panicked: {e}"))??;
        }
        Ok(running.len())
    }
}

impl Inner {
    async fn execute(&self, booking: &str) -> Result<Outcome, String> {
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

    fn take_fault(&self, step: &'static str) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults lock");
        let fault = faults.get(step).copied()?;
        match fault {
            Fault::Permanent => {}
            Fault::Transient(n) if n > 1 => {
                faults.insert(step, Fault::Transient(n - 1));
            }
            _ => {
                faults.remove(step);
            }
        }
        Some(fault)
    }
}

impl TaskRunner for Inner {
    fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a> {
        Box::pin(async move {
            let fail = |error: &str, message: &str| {
                Err(TaskFailure::Error(TaskError {
                    error: error.into(),
                    cause: json!({"errorType": error, "errorMessage": message}).to_string(),
                }))
            };
            let Some((name, step)) = self.steps.get(resource) else {
                return fail(
                    "States.TaskFailed",
                    &format!("no local handler for {resource}"),
                );
            };
            let fault = self.take_fault(name);
            match fault {
                Some(Fault::Transient(_)) => {
                    return fail("DependencyUnavailable", "injected transient fault");
                }
                Some(Fault::Permanent) => return fail("InjectedFault", "injected permanent fault"),
                Some(Fault::CrashBefore) => return Err(TaskFailure::Crash),
                Some(Fault::Lambda(error)) => return fail(error, "injected Lambda failure"),
                _ => {}
            }
            let result = invoke(step.as_ref(), input).await;
            if fault == Some(Fault::CrashAfter) {
                return Err(TaskFailure::Crash);
            }
            result.map_err(TaskFailure::Error)
        })
    }
}

#[async_trait]
impl Workflow for LocalSaga {
    async fn start(&self, booking: &BookingId) -> Result<(), InfraError> {
        let new = self
            .inner
            .store
            .begin_execution(booking.as_str())
            .await
            .map_err(InfraError)?;
        if new && self.inner.auto_run {
            let (inner, name) = (self.inner.clone(), booking.to_string());
            tokio::spawn(async move {
                if let Err(e) = inner.execute(&name).await {
                    tracing::error!(booking = %name, error = %e, "saga run failed to record");
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::resource_of;

    #[test]
    fn resources_name_the_functions() {
        assert_eq!(resource_of("charge-payment"), "${ChargePaymentFunctionArn}");
    }
}
