//! One function's real binary under a local Lambda Runtime API (the HTTP interface the
//! `lambda_runtime` crate polls in AWS): invocations are queued, the binary takes them with
//! `GET /runtime/invocation/next` one at a time, as one Lambda container does, and answers
//! with `/response` or `/error`. A binary that dies is started again for the next invocation.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot};

/// How an invocation failed, as Lambda reports it to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeError {
    /// The function's `errorType`, or `Lambda.Unknown` / `States.Timeout` for a process that
    /// died or ran out of time.
    pub error_type: String,
    pub message: String,
}

struct Invocation {
    id: String,
    payload: Bytes,
    deadline_ms: u64,
}

type Reply = Result<Bytes, InvokeError>;

pub struct Container {
    pub function: String,
    pub arn: String,
    binary: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    timeout: Duration,
    api: String,
    queue: mpsc::Sender<Invocation>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>,
    child: AsyncMutex<Option<tokio::process::Child>>,
    /// One invocation at a time, like one container.
    busy: AsyncMutex<()>,
    /// Milliseconds from spawn to the first `next` of the last start (its init time).
    pub init_ms: Arc<Mutex<Option<f64>>>,
    /// Invocations so far.
    pub invocations: std::sync::atomic::AtomicU64,
}

pub struct ContainerSpec {
    pub function: String,
    pub arn: String,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
    pub timeout: Duration,
}

impl Container {
    pub async fn start(spec: ContainerSpec) -> Result<Arc<Self>, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let api = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let (queue, receiver) = mpsc::channel::<Invocation>(1024);
        let pending: Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>> = Arc::default();
        let init_ms: Arc<Mutex<Option<f64>>> = Arc::default();
        let started = Arc::new(Mutex::new(std::time::Instant::now()));
        let container = Arc::new(Self {
            function: spec.function,
            arn: spec.arn.clone(),
            binary: spec.binary,
            env: spec.env,
            log: spec.log,
            timeout: spec.timeout,
            api,
            queue,
            pending: pending.clone(),
            child: AsyncMutex::new(None),
            busy: AsyncMutex::new(()),
            init_ms: init_ms.clone(),
            invocations: Default::default(),
        });
        let state = Arc::new(ApiState {
            receiver: AsyncMutex::new(receiver),
            pending,
            arn: spec.arn,
            init_ms,
            started: started.clone(),
        });
        tokio::spawn(serve_runtime_api(listener, state));
        container.spawn_process(&started).await?;
        Ok(container)
    }

    async fn spawn_process(&self, started: &Arc<Mutex<std::time::Instant>>) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let err_log = log.try_clone().map_err(|e| e.to_string())?;
        *started.lock().expect("lock") = std::time::Instant::now();
        let child = tokio::process::Command::new(&self.binary)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", &self.api)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err_log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        *self.child.lock().await = Some(child);
        Ok(())
    }

    /// Runs one invocation and returns the function's answer.
    pub async fn invoke(&self, payload: &Value) -> Result<Value, InvokeError> {
        let _one_at_a_time = self.busy.lock().await;
        self.invocations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.ensure_running().await?;
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("lock").insert(id.clone(), tx);
        let deadline_ms =
            chrono::Utc::now().timestamp_millis() as u64 + self.timeout.as_millis() as u64;
        let invocation = Invocation {
            id: id.clone(),
            payload: Bytes::from(payload.to_string()),
            deadline_ms,
        };
        if self.queue.send(invocation).await.is_err() {
            return Err(unknown("the runtime API is gone"));
        }
        let reply = tokio::select! {
            reply = rx => reply.unwrap_or_else(|_| Err(unknown("the invocation was dropped"))),
            () = tokio::time::sleep(self.timeout) => {
                // Lambda stops a timed-out container; the next invocation starts a fresh one.
                self.stop().await;
                Err(InvokeError {
                    error_type: "States.Timeout".into(),
                    message: format!("{} timed out after {:?}", self.function, self.timeout),
                })
            }
            () = self.exited() => Err(unknown(&format!("{} exited; see {}", self.function, self.log.display()))),
        };
        self.pending.lock().expect("lock").remove(&id);
        let body = reply?;
        serde_json::from_slice(&body).map_err(|e| unknown(&format!("not JSON: {e}")))
    }

    async fn ensure_running(&self) -> Result<(), InvokeError> {
        if !self.running().await {
            let started = Arc::new(Mutex::new(std::time::Instant::now()));
            self.spawn_process(&started)
                .await
                .map_err(|e| unknown(&e))?;
        }
        Ok(())
    }

    /// Whether the binary is started and has not exited.
    async fn running(&self) -> bool {
        match self.child.lock().await.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Resolves when the process has exited.
    async fn exited(&self) {
        loop {
            if !self.running().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(&self) {
        if let Some(mut child) = self.child.lock().await.take() {
            let _ = child.kill().await;
        }
    }

    /// Waits until the binary has asked for its first invocation (it finished init), or
    /// fails with what it wrote if it exits first.
    pub async fn ready(&self, within: Duration) -> Result<(), String> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if self.init_ms.lock().expect("lock").is_some() {
                return Ok(());
            }
            if !self.running().await || std::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join("\n");
                return Err(format!(
                    "{} did not start (see {}):\n{tail}",
                    self.function,
                    self.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn unknown(message: &str) -> InvokeError {
    InvokeError {
        error_type: "Lambda.Unknown".into(),
        message: message.into(),
    }
}

struct ApiState {
    receiver: AsyncMutex<mpsc::Receiver<Invocation>>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>,
    arn: String,
    init_ms: Arc<Mutex<Option<f64>>>,
    started: Arc<Mutex<std::time::Instant>>,
}

async fn serve_runtime_api(listener: TcpListener, state: Arc<ApiState>) {
    while let Ok((stream, _)) = listener.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(runtime_api(state, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(status: u16, body: &str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

async fn runtime_api(
    state: Arc<ApiState>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return respond(404, "{}");
    };
    if rest == "invocation/next" {
        {
            let mut init = state.init_ms.lock().expect("lock");
            if init.is_none() {
                let started = *state.started.lock().expect("lock");
                *init = Some(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let next = state.receiver.lock().await.recv().await;
        let Some(invocation) = next else {
            return respond(500, "{}");
        };
        return hyper::Response::builder()
            .status(200)
            .header("lambda-runtime-aws-request-id", &invocation.id)
            .header(
                "lambda-runtime-deadline-ms",
                invocation.deadline_ms.to_string(),
            )
            .header("lambda-runtime-invoked-function-arn", &state.arn)
            .header(
                "lambda-runtime-trace-id",
                format!("Root=1-{}", invocation.id),
            )
            .header("content-type", "application/json")
            .body(Full::new(invocation.payload))
            .expect("response");
    }
    if rest == "init/error" {
        let body = req.into_body().collect().await.map(|b| b.to_bytes());
        tracing::error!(arn = %state.arn, error = ?body, "init error");
        return respond(202, "{}");
    }
    let Some((id, outcome)) = rest
        .strip_prefix("invocation/")
        .and_then(|r| r.split_once('/'))
    else {
        return respond(404, "{}");
    };
    let id = id.to_string();
    let outcome = outcome.to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let reply = match outcome.as_str() {
        "response" => Ok(body),
        "error" => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            Err(InvokeError {
                error_type: v["errorType"].as_str().unwrap_or("Unhandled").to_string(),
                message: v["errorMessage"].as_str().unwrap_or_default().to_string(),
            })
        }
        _ => return respond(404, "{}"),
    };
    if let Some(tx) = state.pending.lock().expect("lock").remove(&id) {
        let _ = tx.send(reply);
    }
    respond(202, "{}")
}
