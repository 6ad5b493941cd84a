//! A small interpreter for the parts of Amazon States Language the booking saga uses, so
//! `make run` executes the very file Step Functions runs when deployed.
//!
//! The definition is parsed into typed Rust (one enum variant per state type, structs for
//! Retry, Catch and Choice rules, each refusing fields it does not know). Supported: Task
//! (with TimeoutSeconds), Choice, Pass, Wait, Succeed, Fail; Retry (ErrorEquals,
//! IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy) and Catch
//! (ErrorEquals, ResultPath, Next); InputPath, Parameters, ResultPath and OutputPath with
//! plain `$.a.b` paths. Anything else in a definition is refused when it is loaded, not
//! half-run.

use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::collections::BTreeMap;
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
    states: BTreeMap<String, State>,
}

/// Stops a definition that loops for ever (Step Functions caps an execution at 25,000 events).
const MAX_TRANSITIONS: u32 = 10_000;

// ---- The definition, typed. Every struct refuses fields it does not know, so a definition
// using something this interpreter does not run fails to load, naming the field. ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Definition {
    start_at: String,
    states: BTreeMap<String, State>,
    #[serde(default, rename = "Comment")]
    _comment: Option<String>,
}

/// The end of a state that is not terminal: the next state, or `End: true`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Transition {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    end: Option<bool>,
}

/// `InputPath`, `ResultPath` or `OutputPath`: absent, `null` (discard), or a plain `$.a.b`.
#[derive(Debug, Clone, Default, PartialEq)]
enum PathField {
    #[default]
    Absent,
    Null,
    Path(String),
}

fn path_field<'de, D: Deserializer<'de>>(d: D) -> Result<PathField, D::Error> {
    Ok(match Option::<String>::deserialize(d)? {
        None => PathField::Null,
        Some(p) => PathField::Path(p),
    })
}

#[derive(Deserialize)]
#[serde(tag = "Type", deny_unknown_fields, rename_all = "PascalCase")]
enum State {
    #[serde(rename_all = "PascalCase")]
    Task {
        resource: String,
        #[serde(default)]
        parameters: Option<Value>,
        /// Real seconds (never scaled): a task still running then fails with `States.Timeout`.
        #[serde(default)]
        timeout_seconds: Option<u64>,
        #[serde(default, deserialize_with = "path_field")]
        input_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        result_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        output_path: PathField,
        #[serde(default)]
        retry: Vec<Retrier>,
        #[serde(default)]
        catch: Vec<Catcher>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        end: Option<bool>,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    Pass {
        #[serde(default)]
        result: Option<Value>,
        #[serde(default)]
        parameters: Option<Value>,
        #[serde(default, deserialize_with = "path_field")]
        input_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        result_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        output_path: PathField,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        end: Option<bool>,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    Wait {
        seconds: f64,
        #[serde(default, deserialize_with = "path_field")]
        input_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        output_path: PathField,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        end: Option<bool>,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    Choice {
        choices: Vec<ChoiceRule>,
        #[serde(default)]
        default: Option<String>,
        #[serde(default, deserialize_with = "path_field")]
        input_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        output_path: PathField,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    Succeed {
        #[serde(default, deserialize_with = "path_field")]
        input_path: PathField,
        #[serde(default, deserialize_with = "path_field")]
        output_path: PathField,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
    #[serde(rename_all = "PascalCase")]
    Fail {
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        cause: Option<String>,
        #[serde(default, rename = "Comment")]
        _comment: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Retrier {
    error_equals: Vec<String>,
    #[serde(default = "one")]
    interval_seconds: f64,
    #[serde(default = "three")]
    max_attempts: u32,
    #[serde(default = "two")]
    backoff_rate: f64,
    #[serde(default)]
    max_delay_seconds: Option<f64>,
    #[serde(default)]
    jitter_strategy: Jitter,
    #[serde(default, rename = "Comment")]
    _comment: Option<String>,
}

/// `FULL` waits a random time up to the backoff interval, so executions that failed together
/// do not all retry together (an on-sale's worth of charges against a struggling provider).
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
enum Jitter {
    Full,
    #[default]
    None,
}

impl Retrier {
    /// Seconds to wait before retry number `attempt` (0-based).
    fn delay(&self, attempt: u32) -> f64 {
        let backoff = self.interval_seconds * self.backoff_rate.powi(attempt as i32);
        let capped = self
            .max_delay_seconds
            .map_or(backoff, |max| backoff.min(max));
        match self.jitter_strategy {
            Jitter::Full => rand::random_range(0.0..=capped),
            Jitter::None => capped,
        }
    }
}

fn one() -> f64 {
    1.0
}
fn two() -> f64 {
    2.0
}
fn three() -> u32 {
    3
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Catcher {
    error_equals: Vec<String>,
    next: String,
    #[serde(default, deserialize_with = "path_field")]
    result_path: PathField,
    #[serde(default, rename = "Comment")]
    _comment: Option<String>,
}

/// The comparisons the saga uses; any other operator is refused at load.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ChoiceRule {
    #[serde(default)]
    variable: Option<String>,
    #[serde(default)]
    and: Option<Vec<ChoiceRule>>,
    #[serde(default)]
    or: Option<Vec<ChoiceRule>>,
    #[serde(default)]
    not: Option<Box<ChoiceRule>>,
    #[serde(default)]
    is_present: Option<bool>,
    #[serde(default)]
    is_string: Option<bool>,
    #[serde(default)]
    is_null: Option<bool>,
    #[serde(default)]
    string_equals: Option<String>,
    #[serde(default)]
    boolean_equals: Option<bool>,
    #[serde(default)]
    next: Option<String>,
}

impl State {
    fn transition(&self) -> Transition {
        match self {
            State::Task { next, end, .. }
            | State::Pass { next, end, .. }
            | State::Wait { next, end, .. } => Transition {
                next: next.clone(),
                end: *end,
            },
            _ => Transition::default(),
        }
    }

    fn output_path(&self) -> &PathField {
        match self {
            State::Task { output_path, .. }
            | State::Pass { output_path, .. }
            | State::Wait { output_path, .. }
            | State::Choice { output_path, .. }
            | State::Succeed { output_path, .. } => output_path,
            State::Fail { .. } => &PathField::Absent,
        }
    }

    /// Every path the state names, with the field it is in.
    fn paths(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut add = |field: &'static str, p: &PathField| {
            if let PathField::Path(p) = p {
                out.push((field, p.clone()));
            }
        };
        match self {
            State::Task {
                input_path,
                result_path,
                output_path,
                catch,
                ..
            } => {
                add("InputPath", input_path);
                add("ResultPath", result_path);
                add("OutputPath", output_path);
                for c in catch {
                    add("Catch.ResultPath", &c.result_path);
                }
            }
            State::Pass {
                input_path,
                result_path,
                output_path,
                ..
            } => {
                add("InputPath", input_path);
                add("ResultPath", result_path);
                add("OutputPath", output_path);
            }
            State::Wait {
                input_path,
                output_path,
                ..
            }
            | State::Choice {
                input_path,
                output_path,
                ..
            }
            | State::Succeed {
                input_path,
                output_path,
                ..
            } => {
                add("InputPath", input_path);
                add("OutputPath", output_path);
            }
            State::Fail { .. } => {}
        }
        out
    }
}

/// Only plain reference paths: `$` or `$.field.field`.
fn is_plain_path(path: &str) -> bool {
    path == "$"
        || path.strip_prefix("$.").is_some_and(|rest| {
            rest.split('.')
                .all(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
}

/// Every `key.$` of a Parameters template must hold a plain path.
fn parameter_paths(template: &Value, out: &mut Vec<String>) {
    if let Value::Object(fields) = template {
        for (k, v) in fields {
            if k.ends_with(".$") {
                out.push(v.as_str().unwrap_or("").to_string());
            } else {
                parameter_paths(v, out);
            }
        }
    }
}

fn rule_nexts<'a>(rule: &'a ChoiceRule, out: &mut Vec<&'a str>) {
    out.extend(rule.next.as_deref());
}

impl StateMachine {
    /// Parses and checks a definition: every state type, field, path and `Next` must be
    /// understood, or the error names what is not (`States.X.ItemsPath: unknown field ...`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let definition: Definition = serde_path_to_error::deserialize(de)
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
        let machine = Self {
            start_at: definition.start_at,
            states: definition.states,
        };
        machine.check()?;
        Ok(machine)
    }

    fn check(&self) -> Result<(), String> {
        let known = |name: &str| self.states.contains_key(name);
        if !known(&self.start_at) {
            return Err(format!("StartAt {} is not a state", self.start_at));
        }
        for (name, state) in &self.states {
            let t = state.transition();
            let terminal = matches!(
                state,
                State::Choice { .. } | State::Succeed { .. } | State::Fail { .. }
            );
            if !terminal && t.next.is_none() && t.end != Some(true) {
                return Err(format!("States.{name}: needs Next or End"));
            }
            for (field, path) in state.paths() {
                if !is_plain_path(&path) {
                    return Err(format!(
                        "States.{name}.{field}: {path:?} is not a plain $.a.b path"
                    ));
                }
            }
            let mut nexts: Vec<&str> = Vec::new();
            nexts.extend(t.next.as_deref());
            match state {
                State::Task {
                    catch, parameters, ..
                } => {
                    nexts.extend(catch.iter().map(|c| c.next.as_str()));
                    let mut paths = Vec::new();
                    parameter_paths(parameters.as_ref().unwrap_or(&Value::Null), &mut paths);
                    if let Some(bad) = paths.iter().find(|p| !is_plain_path(p)) {
                        return Err(format!(
                            "States.{name}.Parameters: {bad:?} is not a plain $.a.b path"
                        ));
                    }
                }
                State::Choice {
                    choices, default, ..
                } => {
                    nexts.extend(default.as_deref());
                    for c in choices {
                        rule_nexts(c, &mut nexts);
                    }
                }
                _ => {}
            }
            if let Some(missing) = nexts.iter().find(|n| !known(n)) {
                return Err(format!("States.{name}: Next {missing} is not a state"));
            }
        }
        Ok(())
    }

    /// Every Task's `Resource`, each once.
    pub fn task_resources(&self) -> Vec<String> {
        let each_once: std::collections::BTreeSet<String> = self
            .states
            .values()
            .filter_map(|s| match s {
                State::Task { resource, .. } => Some(resource.clone()),
                _ => None,
            })
            .collect();
        each_once.into_iter().collect()
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
            let step = match state {
                State::Succeed { input_path, .. } => {
                    let input = select_field(&data, input_path);
                    Step::End(Outcome::Succeeded(output_of(state, input)))
                }
                State::Fail { error, cause, .. } => Step::End(Outcome::Failed {
                    error: error.clone().unwrap_or_else(|| "States.Fail".into()),
                    cause: cause.clone().unwrap_or_default(),
                }),
                State::Pass {
                    result,
                    parameters,
                    input_path,
                    result_path,
                    ..
                } => {
                    let effective = effective_input(input_path, parameters.as_ref(), &data);
                    let result = result.clone().unwrap_or(effective);
                    Step::Next(output_of(state, apply_result(result_path, data, result)))
                }
                State::Wait { seconds, .. } => {
                    sleep(seconds * delay_scale).await;
                    Step::Next(output_of(state, data))
                }
                State::Choice {
                    choices,
                    default,
                    input_path,
                    ..
                } => {
                    let input = select_field(&data, input_path);
                    let chosen = choices
                        .iter()
                        .find(|rule| matches_rule(rule, &input))
                        .and_then(|rule| rule.next.as_deref())
                        .or(default.as_deref());
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
                State::Task {
                    resource,
                    parameters,
                    timeout_seconds,
                    input_path,
                    result_path,
                    retry,
                    catch,
                    ..
                } => {
                    let input = effective_input(input_path, parameters.as_ref(), &data);
                    let task = Task {
                        resource,
                        timeout: timeout_seconds.map(Duration::from_secs),
                        retry,
                        catch,
                    };
                    match task.run(input, tasks, delay_scale, &mut run).await {
                        TaskStep::Done(result) => {
                            Step::Next(output_of(state, apply_result(result_path, data, result)))
                        }
                        TaskStep::Caught(catcher, error) => {
                            let caught = json!({"Error": error.error, "Cause": error.cause});
                            let path = match &catcher.result_path {
                                PathField::Null => None,
                                PathField::Absent => Some("$"),
                                PathField::Path(p) => Some(p.as_str()),
                            };
                            data = apply_path(&data, path, caught);
                            current = catcher.next.clone();
                            continue;
                        }
                        TaskStep::Uncaught(error) => Step::End(Outcome::Failed {
                            error: error.error,
                            cause: error.cause,
                        }),
                        TaskStep::Crash => Step::End(Outcome::Crashed),
                    }
                }
            };
            match step {
                Step::End(outcome) => {
                    run.outcome = outcome;
                    return run;
                }
                Step::Next(next_data) => {
                    data = next_data;
                    match state.transition().next {
                        Some(next) => current = next,
                        None => {
                            run.outcome = Outcome::Succeeded(data);
                            return run;
                        }
                    }
                }
            }
        }
    }
}

/// A Task state's invocation with its retriers and catchers.
struct Task<'a> {
    resource: &'a str,
    timeout: Option<Duration>,
    retry: &'a [Retrier],
    catch: &'a [Catcher],
}

impl<'a> Task<'a> {
    async fn run(
        &self,
        input: Value,
        tasks: &dyn TaskRunner,
        delay_scale: f64,
        run: &mut Execution,
    ) -> TaskStep<'a> {
        let mut attempts = vec![0u32; self.retry.len()];
        loop {
            run.task_calls += 1;
            let call = tasks.run(self.resource, input.clone());
            let outcome = match self.timeout {
                Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
                    Err(TaskFailure::Error(TaskError {
                        error: "States.Timeout".into(),
                        cause: format!("{} ran longer than {limit:?}", self.resource),
                    }))
                }),
                None => call.await,
            };
            let error = match outcome {
                Ok(result) => return TaskStep::Done(result),
                Err(TaskFailure::Crash) => return TaskStep::Crash,
                Err(TaskFailure::Error(e)) => e,
            };
            let retrier = self
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &error.error));
            if let Some(i) = retrier {
                let r = &self.retry[i];
                if attempts[i] < r.max_attempts {
                    sleep(r.delay(attempts[i]) * delay_scale).await;
                    attempts[i] += 1;
                    continue;
                }
            }
            let catcher = self
                .catch
                .iter()
                .find(|c| error_matches(&c.error_equals, &error.error));
            return match catcher {
                Some(c) => TaskStep::Caught(c, error),
                None => TaskStep::Uncaught(error),
            };
        }
    }
}

enum Step {
    Next(Value),
    End(Outcome),
}

enum TaskStep<'a> {
    Done(Value),
    /// The catcher that caught the error, and the error.
    Caught(&'a Catcher, TaskError),
    Uncaught(TaskError),
    Crash,
}

async fn sleep(seconds: f64) {
    if seconds > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    }
}

fn error_matches(names: &[String], error: &str) -> bool {
    names.iter().any(|n| n == error || n == "States.ALL")
}

/// InputPath, then Parameters.
fn effective_input(input_path: &PathField, parameters: Option<&Value>, data: &Value) -> Value {
    let input = select_field(data, input_path);
    match parameters {
        Some(params) => fill(params, &input),
        None => input,
    }
}

/// The input a path field selects: all of it when absent, `{}` when null.
fn select_field(data: &Value, path: &PathField) -> Value {
    match path {
        PathField::Absent => data.clone(),
        PathField::Null => json!({}),
        PathField::Path(p) => select(data, p),
    }
}

/// ResultPath: where a state's result goes in its input (`null`: dropped).
fn apply_result(result_path: &PathField, data: Value, result: Value) -> Value {
    match result_path {
        PathField::Null => data,
        PathField::Path(p) => apply_path(&data, Some(p), result),
        PathField::Absent => result,
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

fn output_of(state: &State, data: Value) -> Value {
    select_field(&data, state.output_path())
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

fn matches_rule(rule: &ChoiceRule, input: &Value) -> bool {
    if let Some(all) = &rule.and {
        return all.iter().all(|r| matches_rule(r, input));
    }
    if let Some(any) = &rule.or {
        return any.iter().any(|r| matches_rule(r, input));
    }
    if let Some(not) = &rule.not {
        return !matches_rule(not, input);
    }
    let value = lookup(input, rule.variable.as_deref().unwrap_or("$"));
    if let Some(want) = rule.is_present {
        return value.is_some() == want;
    }
    if let Some(want) = rule.is_string {
        return value.is_some_and(Value::is_string) == want;
    }
    if let Some(want) = rule.is_null {
        return value.is_some_and(Value::is_null) == want;
    }
    if let Some(want) = &rule.string_equals {
        return value.and_then(Value::as_str) == Some(want.as_str());
    }
    if let Some(want) = rule.boolean_equals {
        return value.and_then(Value::as_bool) == Some(want);
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
        // What this interpreter does not run is refused at load, naming where it is.
        let refused = |states: &str| {
            let text = format!(r#"{{"StartAt":"X","States":{{"X":{states}}}}}"#);
            StateMachine::parse(&text).err().expect("refused")
        };
        let e = refused(r#"{"Type":"Map","End":true}"#);
        assert!(e.contains("States.X") && e.contains("Map"), "{e}");
        let e = refused(r#"{"Type":"Pass","Next":"Y"}"#);
        assert!(e.contains("Next Y is not a state"), "{e}");
        let e = refused(r#"{"Type":"Pass","ItemsPath":"$","End":true}"#);
        assert!(e.contains("ItemsPath"), "{e}");
        let e = refused(r#"{"Type":"Pass"}"#);
        assert!(e.contains("needs Next or End"), "{e}");
        let e = refused(
            r#"{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"X"}]}"#,
        );
        assert!(e.contains("NumericEquals"), "{e}");
        let e = refused(r#"{"Type":"Pass","ResultPath":"$.a[0]","End":true}"#);
        assert!(e.contains("ResultPath") && e.contains("plain"), "{e}");
        let e =
            refused(r#"{"Type":"Task","Resource":"r","Parameters":{"id.$":"$..id"},"End":true}"#);
        assert!(e.contains("Parameters"), "{e}");
        let e = refused(
            r#"{"Type":"Task","Resource":"r","Retry":[{"ErrorEquals":["E"],"JitterStrategy":"HALF"}],"End":true}"#,
        );
        assert!(e.contains("HALF"), "{e}");
        let e = refused(r#"{"Type":"Task","Resource":"r","HeartbeatSeconds":5,"End":true}"#);
        assert!(e.contains("HeartbeatSeconds"), "{e}");
        // The deployed saga loads.
        StateMachine::parse(crate::saga::SAGA_ASL).unwrap();
    }

    /// A task that outlives its TimeoutSeconds fails with `States.Timeout`, which a retrier
    /// can name; the late answer is ignored.
    #[tokio::test]
    async fn a_task_past_its_timeout_fails_with_states_timeout_and_is_retried() {
        struct Slow(Mutex<u32>);
        impl TaskRunner for Slow {
            fn run<'a>(&'a self, _: &'a str, _: Value) -> TaskFuture<'a> {
                Box::pin(async move {
                    let first = {
                        let mut n = self.0.lock().unwrap();
                        *n += 1;
                        *n == 1
                    };
                    if first {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    Ok(json!("done"))
                })
            }
        }
        let def = |retry: &str| {
            format!(
                r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"r","TimeoutSeconds":1,
                "Retry":[{retry}],"End":true}}}}}}"#
            )
        };
        let m = StateMachine::parse(&def(
            r#"{"ErrorEquals":["States.Timeout"],"MaxDelaySeconds":0.5,"JitterStrategy":"FULL"}"#,
        ))
        .unwrap();
        let run = m.execute(json!({}), &Slow(Mutex::new(0)), 1.0).await;
        assert_eq!(run.outcome, Outcome::Succeeded(json!("done")));
        assert_eq!(run.task_calls, 2);
        let m = StateMachine::parse(&def(r#"{"ErrorEquals":["Other"]}"#)).unwrap();
        let run = m.execute(json!({}), &Slow(Mutex::new(0)), 1.0).await;
        assert!(
            matches!(&run.outcome, Outcome::Failed { error, .. } if error == "States.Timeout"),
            "{run:?}"
        );
    }

    #[test]
    fn retry_delays_back_off_up_to_their_cap_with_jitter_below_it() {
        let r: Retrier = serde_json::from_value(json!({"ErrorEquals": ["E"],
            "IntervalSeconds": 5, "BackoffRate": 2, "MaxDelaySeconds": 600}))
        .unwrap();
        let waits: Vec<f64> = (0..10).map(|n| r.delay(n)).collect();
        assert_eq!(waits[..4], [5.0, 10.0, 20.0, 40.0]);
        assert_eq!(waits[7..], [600.0, 600.0, 600.0]);
        let r: Retrier = serde_json::from_value(json!({"ErrorEquals": ["E"],
            "IntervalSeconds": 5, "MaxDelaySeconds": 8, "JitterStrategy": "FULL"}))
        .unwrap();
        assert!((0..100).all(|n| (0.0..=8.0).contains(&r.delay(n % 5))));
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
