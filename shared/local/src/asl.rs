//! A small interpreter for the parts of Amazon States Language the booking saga uses, so
//! `make run` executes the very file Step Functions runs when deployed.
//!
//! Supported: Task, Choice, Pass, Wait, Succeed, Fail; Retry (ErrorEquals, IntervalSeconds,
//! MaxAttempts, BackoffRate) and Catch (ErrorEquals, ResultPath, Next); InputPath,
//! Parameters, ResultPath and OutputPath with plain `$.a.b` paths. Anything else in a
//! definition is refused when it is loaded, not half-run.

use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A task failure as Step Functions reports it: an error name and a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    pub error: String,
    pub cause: String,
}

/// What a task invocation can do besides succeed or fail: the process running the execution
/// dies (fault injection), which ends the run with nothing recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskFailure {
    Error(TaskError),
    Crash,
}

pub type TaskFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, TaskFailure>> + Send + 'a>>;

/// Calls the code behind a Task's `Resource`.
pub trait TaskRunner: Send + Sync {
    fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded(Value),
    Failed {
        error: String,
        cause: String,
    },
    /// The process "died" part-way (fault injection): the execution must be run again.
    Crashed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub outcome: Outcome,
    /// States entered, as Step Functions bills them.
    pub transitions: u32,
    /// Task invocations, including retries.
    pub task_calls: u32,
}

pub struct StateMachine {
    start_at: String,
    states: Map<String, Value>,
}

/// Stops a definition that loops for ever (Step Functions caps an execution at 25,000 events).
const MAX_TRANSITIONS: u32 = 10_000;

const KNOWN_FIELDS: &[&str] = &[
    "Type",
    "Comment",
    "Next",
    "End",
    "Resource",
    "Parameters",
    "InputPath",
    "ResultPath",
    "OutputPath",
    "Retry",
    "Catch",
    "Choices",
    "Default",
    "Seconds",
    "Error",
    "Cause",
    "Result",
];

impl StateMachine {
    /// Parses and checks a definition: every state type, field and `Next` must be understood.
    pub fn parse(text: &str) -> Result<Self, String> {
        let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let start_at = root["StartAt"].as_str().ok_or("no StartAt")?.to_string();
        let states = root["States"].as_object().ok_or("no States")?.clone();
        let machine = Self { start_at, states };
        machine.check()?;
        Ok(machine)
    }

    fn check(&self) -> Result<(), String> {
        let known = |name: &str| self.states.contains_key(name);
        if !known(&self.start_at) {
            return Err(format!("StartAt {} is not a state", self.start_at));
        }
        for (name, state) in &self.states {
            let kind = state["Type"].as_str().unwrap_or("");
            if !matches!(
                kind,
                "Task" | "Choice" | "Pass" | "Wait" | "Succeed" | "Fail"
            ) {
                return Err(format!("{name}: state type {kind:?} is not supported"));
            }
            for field in state.as_object().into_iter().flat_map(|o| o.keys()) {
                if !KNOWN_FIELDS.contains(&field.as_str()) {
                    return Err(format!("{name}: field {field} is not supported"));
                }
            }
            let mut nexts: Vec<&str> = Vec::new();
            nexts.extend(state["Next"].as_str());
            nexts.extend(state["Default"].as_str());
            for c in state["Catch"].as_array().into_iter().flatten() {
                nexts.extend(c["Next"].as_str());
            }
            for c in state["Choices"].as_array().into_iter().flatten() {
                nexts.extend(c["Next"].as_str());
            }
            if let Some(missing) = nexts.iter().find(|n| !known(n)) {
                return Err(format!("{name}: Next {missing} is not a state"));
            }
        }
        Ok(())
    }

    /// Every Task's `Resource`.
    pub fn task_resources(&self) -> Vec<String> {
        self.states
            .values()
            .filter(|s| s["Type"] == "Task")
            .filter_map(|s| s["Resource"].as_str().map(str::to_string))
            .collect()
    }

    /// Runs one execution. `delay_scale` multiplies every Wait and retry interval (1.0 for
    /// real time, 0.0 in tests).
    pub async fn execute(
        &self,
        input: Value,
        tasks: &dyn TaskRunner,
        delay_scale: f64,
    ) -> Execution {
        let mut run = Execution {
            outcome: Outcome::Crashed,
            transitions: 0,
            task_calls: 0,
        };
        let mut current = self.start_at.clone();
        let mut data = input;
        loop {
            run.transitions += 1;
            if run.transitions > MAX_TRANSITIONS {
                run.outcome = Outcome::Failed {
                    error: "States.Runtime".into(),
                    cause: "too many state transitions".into(),
                };
                return run;
            }
            let state = &self.states[&current];
            let step = match state["Type"].as_str().unwrap_or("") {
                "Succeed" => Step::End(Outcome::Succeeded(output_of(state, data))),
                "Fail" => Step::End(Outcome::Failed {
                    error: state["Error"].as_str().unwrap_or("States.Fail").into(),
                    cause: state["Cause"].as_str().unwrap_or("").into(),
                }),
                "Pass" => {
                    let effective = effective_input(state, &data);
                    let result = state.get("Result").cloned().unwrap_or(effective);
                    Step::Next(output_of(state, apply_result(state, data, result)))
                }
                "Wait" => {
                    let secs = state["Seconds"].as_f64().unwrap_or(0.0);
                    sleep(secs * delay_scale).await;
                    Step::Next(output_of(state, data))
                }
                "Choice" => {
                    let input = select(&data, state["InputPath"].as_str().unwrap_or("$"));
                    let chosen = state["Choices"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|rule| matches_rule(rule, &input))
                        .and_then(|rule| rule["Next"].as_str())
                        .or_else(|| state["Default"].as_str());
                    match chosen {
                        Some(next) => {
                            current = next.to_string();
                            continue;
                        }
                        None => Step::End(Outcome::Failed {
                            error: "States.NoChoiceMatched".into(),
                            cause: format!("no choice matched in {current}"),
                        }),
                    }
                }
                _ => match self.task(state, &data, tasks, delay_scale, &mut run).await {
                    TaskStep::Done(result) => {
                        Step::Next(output_of(state, apply_result(state, data, result)))
                    }
                    TaskStep::Caught(next, error) => {
                        let caught = json!({"Error": error.error, "Cause": error.cause});
                        data = apply_path(&data, next.1.as_deref(), caught);
                        current = next.0;
                        continue;
                    }
                    TaskStep::Uncaught(error) => Step::End(Outcome::Failed {
                        error: error.error,
                        cause: error.cause,
                    }),
                    TaskStep::Crash => Step::End(Outcome::Crashed),
                },
            };
            match step {
                Step::End(outcome) => {
                    run.outcome = outcome;
                    return run;
                }
                Step::Next(next_data) => {
                    data = next_data;
                    match state["Next"].as_str() {
                        Some(next) => current = next.to_string(),
                        None => {
                            run.outcome = Outcome::Succeeded(data);
                            return run;
                        }
                    }
                }
            }
        }
    }

    async fn task(
        &self,
        state: &Value,
        data: &Value,
        tasks: &dyn TaskRunner,
        delay_scale: f64,
        run: &mut Execution,
    ) -> TaskStep {
        let resource = state["Resource"].as_str().unwrap_or("");
        let input = effective_input(state, data);
        let retriers = state["Retry"].as_array().cloned().unwrap_or_default();
        let mut attempts = vec![0u32; retriers.len()];
        loop {
            run.task_calls += 1;
            let error = match tasks.run(resource, input.clone()).await {
                Ok(result) => return TaskStep::Done(result),
                Err(TaskFailure::Crash) => return TaskStep::Crash,
                Err(TaskFailure::Error(e)) => e,
            };
            let retrier = retriers
                .iter()
                .position(|r| error_matches(&r["ErrorEquals"], &error.error));
            if let Some(i) = retrier {
                let r = &retriers[i];
                let max = r["MaxAttempts"].as_u64().unwrap_or(3) as u32;
                if attempts[i] < max {
                    let interval = r["IntervalSeconds"].as_f64().unwrap_or(1.0);
                    let backoff = r["BackoffRate"].as_f64().unwrap_or(2.0);
                    sleep(interval * backoff.powi(attempts[i] as i32) * delay_scale).await;
                    attempts[i] += 1;
                    continue;
                }
            }
            let catcher = state["Catch"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| error_matches(&c["ErrorEquals"], &error.error));
            return match catcher {
                Some(c) => {
                    let next = c["Next"].as_str().unwrap_or_default().to_string();
                    let path = match c.get("ResultPath") {
                        Some(Value::Null) => None,
                        Some(p) => Some(p.as_str().unwrap_or("$").to_string()),
                        None => Some("$".to_string()),
                    };
                    TaskStep::Caught((next, path), error)
                }
                None => TaskStep::Uncaught(error),
            };
        }
    }
}

enum Step {
    Next(Value),
    End(Outcome),
}

enum TaskStep {
    Done(Value),
    /// (next state, result path), the error.
    Caught((String, Option<String>), TaskError),
    Uncaught(TaskError),
    Crash,
}

async fn sleep(seconds: f64) {
    if seconds > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    }
}

fn error_matches(names: &Value, error: &str) -> bool {
    names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|n| n == error || n == "States.ALL")
}

/// InputPath, then Parameters.
fn effective_input(state: &Value, data: &Value) -> Value {
    let input = match state.get("InputPath") {
        Some(Value::Null) => json!({}),
        Some(p) => select(data, p.as_str().unwrap_or("$")),
        None => data.clone(),
    };
    match state.get("Parameters") {
        Some(params) => fill(params, &input),
        None => input,
    }
}

/// ResultPath: where a state's result goes in its input (`null`: dropped).
fn apply_result(state: &Value, data: Value, result: Value) -> Value {
    match state.get("ResultPath") {
        Some(Value::Null) => data,
        Some(p) => apply_path(&data, p.as_str(), result),
        None => result,
    }
}

fn apply_path(data: &Value, path: Option<&str>, value: Value) -> Value {
    let Some(path) = path else {
        return data.clone();
    };
    let fields: Vec<&str> = path
        .trim_start_matches('$')
        .split('.')
        .filter(|f| !f.is_empty())
        .collect();
    if fields.is_empty() {
        return value;
    }
    let mut out = data.clone();
    let mut at = &mut out;
    for (i, field) in fields.iter().enumerate() {
        if !at.is_object() {
            *at = json!({});
        }
        let map = at.as_object_mut().expect("made an object");
        if i == fields.len() - 1 {
            map.insert(field.to_string(), value);
            return out;
        }
        at = map.entry(field.to_string()).or_insert_with(|| json!({}));
    }
    out
}

fn output_of(state: &Value, data: Value) -> Value {
    match state.get("OutputPath") {
        Some(Value::Null) => json!({}),
        Some(p) => select(&data, p.as_str().unwrap_or("$")),
        None => data,
    }
}

/// A plain `$.a.b` path; a missing field is `null`.
fn select(data: &Value, path: &str) -> Value {
    lookup(data, path).cloned().unwrap_or(Value::Null)
}

fn lookup<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = data;
    for field in path
        .trim_start_matches('$')
        .split('.')
        .filter(|f| !f.is_empty())
    {
        at = at.get(field)?;
    }
    Some(at)
}

/// Parameters: keys ending in `.$` take the value at a path of the input.
fn fill(template: &Value, input: &Value) -> Value {
    match template {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| match k.strip_suffix(".$") {
                    Some(name) => (name.to_string(), select(input, v.as_str().unwrap_or("$"))),
                    None => (k.clone(), fill(v, input)),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn matches_rule(rule: &Value, input: &Value) -> bool {
    if let Some(all) = rule["And"].as_array() {
        return all.iter().all(|r| matches_rule(r, input));
    }
    if let Some(any) = rule["Or"].as_array() {
        return any.iter().any(|r| matches_rule(r, input));
    }
    if let Some(not) = rule.get("Not") {
        return !matches_rule(not, input);
    }
    let value = lookup(input, rule["Variable"].as_str().unwrap_or("$"));
    if let Some(want) = rule.get("IsPresent") {
        return value.is_some() == (want == true);
    }
    if let Some(want) = rule.get("IsString") {
        return value.is_some_and(Value::is_string) == (want == true);
    }
    if let Some(want) = rule.get("IsNull") {
        return value.is_some_and(Value::is_null) == (want == true);
    }
    if let Some(want) = rule.get("StringEquals") {
        return value == Some(want);
    }
    if let Some(want) = rule.get("BooleanEquals") {
        return value == Some(want);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Fails `fail` for the first `times` calls of a resource, with `error`.
    struct Script {
        fail: &'static str,
        times: u32,
        error: &'static str,
        calls: Mutex<Vec<String>>,
    }

    impl TaskRunner for Script {
        fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a> {
            Box::pin(async move {
                let mut calls = self.calls.lock().unwrap();
                calls.push(resource.to_string());
                let n = calls.iter().filter(|c| *c == resource).count() as u32;
                if resource == self.fail && n <= self.times {
                    return Err(TaskFailure::Error(TaskError {
                        error: self.error.into(),
                        cause: "boom".into(),
                    }));
                }
                Ok(json!({"from": resource, "saw": input}))
            })
        }
    }

    const DEF: &str = r#"{
      "StartAt": "Check",
      "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.id", "IsString": true, "Next": "Trim"}], "Default": "Bad"},
        "Bad": {"Type": "Fail", "Error": "BadInput"},
        "Trim": {"Type": "Pass", "Parameters": {"id.$": "$.id", "fixed": 1}, "Next": "A"},
        "A": {"Type": "Task", "Resource": "a", "Parameters": {"id.$": "$.id"}, "ResultPath": "$.a",
              "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Undo"}],
              "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
        "Done": {"Type": "Succeed", "OutputPath": "$.a.saw"},
        "Undo": {"Type": "Task", "Resource": "undo", "ResultPath": null, "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "Compensated", "Cause": "undone"}
      }
    }"#;

    fn script(fail: &'static str, times: u32, error: &'static str) -> Script {
        Script {
            fail,
            times,
            error,
            calls: Mutex::new(vec![]),
        }
    }

    #[tokio::test]
    async fn runs_the_happy_path_with_paths_and_parameters() {
        let m = StateMachine::parse(DEF).unwrap();
        let s = script("none", 0, "");
        let run = m.execute(json!({"id": "b1", "junk": true}), &s, 0.0).await;
        assert_eq!(run.outcome, Outcome::Succeeded(json!({"id": "b1"})));
        assert_eq!(run.transitions, 5);
        assert_eq!(m.task_resources().len(), 2);
    }

    #[tokio::test]
    async fn retries_then_succeeds_or_catches() {
        let m = StateMachine::parse(DEF).unwrap();
        let s = script("a", 2, "Flaky");
        let run = m.execute(json!({"id": "b1"}), &s, 0.0).await;
        assert!(matches!(run.outcome, Outcome::Succeeded(_)));
        assert_eq!(run.task_calls, 3);

        let s = script("a", 3, "Flaky");
        let run = m.execute(json!({"id": "b1"}), &s, 0.0).await;
        assert_eq!(
            run.outcome,
            Outcome::Failed {
                error: "Compensated".into(),
                cause: "undone".into()
            }
        );
        let calls = s.calls.lock().unwrap().clone();
        assert_eq!(calls, ["a", "a", "a", "undo"]);

        let s = script("a", 1, "Permanent");
        let run = m.execute(json!({"id": "b1"}), &s, 0.0).await;
        assert!(matches!(run.outcome, Outcome::Failed { .. }));
        assert_eq!(s.calls.lock().unwrap().clone(), ["a", "undo"]);
    }

    #[tokio::test]
    async fn choice_default_and_refusals() {
        let m = StateMachine::parse(DEF).unwrap();
        let run = m.execute(json!({"id": 7}), &script("", 0, ""), 0.0).await;
        assert!(matches!(run.outcome, Outcome::Failed { ref error, .. } if error == "BadInput"));
        assert!(StateMachine::parse(r#"{"StartAt":"X","States":{"X":{"Type":"Map"}}}"#).is_err());
        assert!(
            StateMachine::parse(r#"{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Y"}}}"#)
                .is_err()
        );
        assert!(
            StateMachine::parse(
                r#"{"StartAt":"X","States":{"X":{"Type":"Pass","ItemsPath":"$"}}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn paths_set_and_select() {
        let d = json!({"a": {"b": 1}});
        assert_eq!(select(&d, "$.a.b"), json!(1));
        assert_eq!(select(&d, "$.x"), Value::Null);
        assert_eq!(
            apply_path(&d, Some("$.a.c"), json!(2)),
            json!({"a": {"b": 1, "c": 2}})
        );
        assert_eq!(apply_path(&d, Some("$"), json!(3)), json!(3));
        assert_eq!(apply_path(&d, None, json!(3)), d);
    }
}
