//! The cloud-shaped stack: `template.yaml` brought up on an AWS-compatible endpoint (moto
//! here, LocalStack where Docker exists) with every function's real binary, as AWS runs it.
//!
//! - every resource the template declares is created ([`provision`]);
//! - each function's binary runs under its own Lambda Runtime API ([`runtime`]) with exactly
//!   the environment the template gives it, resolved to this stack's resources;
//! - API Gateway ([`gateway`]) reads routes, the authorizer and the public/protected split
//!   from the template and sends REST v1 proxy events;
//! - the saga's executions, the notification queue and the outbox stream invoke their
//!   functions as Step Functions and Lambda's event sources do ([`triggers`]);
//! - every AWS call a function makes goes through a recording proxy ([`recorder`]), so a test
//!   can judge it against the function's policies.

pub mod gateway;
pub mod provision;
pub mod recorder;
pub mod runtime;
pub mod template;
pub mod triggers;

use runtime::{Container, ContainerSpec};
use stagepass_api::KeySet;
use stagepass_local::asl::{Outcome, StateMachine};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use template::{ACCOUNT, Names, REGION, Template, Trigger};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

pub struct CloudOptions {
    /// The AWS-compatible endpoint (`AWS_ENDPOINT_URL`).
    pub endpoint: String,
    /// Where the function binaries are (`target/debug`).
    pub binaries: PathBuf,
    /// Logs of each function, the recorded calls, the resource names.
    pub dir: PathBuf,
    /// The API's port (0: any free one).
    pub port: u16,
}

pub struct CloudStack {
    pub base_url: String,
    pub names: Names,
    pub config: aws_config::SdkConfig,
    /// The access and ticket key sets the stack's secrets hold.
    pub keys: (KeySet, KeySet),
    pub dir: PathBuf,
    /// Every function's container, by logical id.
    pub functions: HashMap<String, Arc<Container>>,
    /// Finished saga executions, by execution ARN.
    pub executions: Arc<Mutex<HashMap<String, Outcome>>>,
    /// While set, stream event sources read nothing (as when a trigger is disabled or its
    /// function keeps failing): tests strand outbox events for the sweeper this way.
    pub streams_paused: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The file the recorded AWS calls go to, one JSON object per line.
pub const CALLS_FILE: &str = "aws-calls.jsonl";
/// This stack's resource names (`Ref`, `GetAtt`), for the permissions check.
pub const NAMES_FILE: &str = "resources.json";

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "cloud-stack",
        ))
        .load()
        .await
}

impl CloudStack {
    pub async fn start(options: CloudOptions) -> Result<Self, String> {
        let template = Template::load(&repo_root().join("template.yaml"))?;
        std::fs::create_dir_all(options.dir.join("logs")).map_err(|e| e.to_string())?;
        let config = sdk_config(&options.endpoint).await;
        let stack = format!("sp{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let keys = (KeySet::generate(), KeySet::generate());
        let names = provision::provision(&template, &config, &stack, &keys.0, &keys.1).await?;
        std::fs::write(
            options.dir.join(NAMES_FILE),
            serde_json::to_string_pretty(&names).expect("names serialise"),
        )
        .map_err(|e| e.to_string())?;

        let calls = recorder::CallLog::create(&options.dir.join(CALLS_FILE))?;
        let http = http_client().build().expect("the HTTP client builds");
        let mut starting = Vec::new();
        let definitions = template.functions()?;
        for f in &definitions {
            let binary = options.binaries.join(&f.binary);
            if !binary.exists() {
                return Err(format!(
                    "{} is not built: run `cargo build --workspace --bins` first (make does)",
                    binary.display()
                ));
            }
            let proxy = recorder::start(
                f.logical_id.clone(),
                options.endpoint.clone(),
                calls.clone(),
                http.clone(),
            )
            .await?;
            let name = names.get_ref(&f.logical_id)?;
            let mut env = vec![
                ("AWS_LAMBDA_FUNCTION_NAME".to_string(), name.clone()),
                ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
                (
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                    f.memory_mb.to_string(),
                ),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                    format!("/aws/lambda/{name}"),
                ),
                ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "local".into()),
                ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
                ("AWS_REGION".into(), REGION.into()),
                ("AWS_DEFAULT_REGION".into(), REGION.into()),
                ("AWS_ACCESS_KEY_ID".into(), "test".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
                ("AWS_ENDPOINT_URL".into(), proxy),
                ("_HANDLER".into(), "bootstrap".into()),
            ];
            for (key, value) in &f.environment {
                env.push((key.clone(), names.resolve(value)?));
            }
            starting.push(Container::start(ContainerSpec {
                function: f.logical_id.clone(),
                arn: names.get_att(&f.logical_id, "Arn")?,
                binary,
                env,
                log: options.dir.join("logs").join(format!("{}.log", f.binary)),
                timeout: Duration::from_secs(f.timeout_secs),
            }));
        }
        let mut functions = HashMap::new();
        for started in starting {
            let container = started.await?;
            functions.insert(container.function.clone(), container);
        }
        for container in functions.values() {
            container.ready(Duration::from_secs(30)).await?;
        }

        let mut routes = Vec::new();
        let mut tasks = Vec::new();
        let streams_paused = Arc::new(AtomicBool::new(false));
        let sqs = aws_sdk_sqs::Client::new(&config);
        for f in &definitions {
            let function = functions[&f.logical_id].clone();
            for trigger in &f.triggers {
                match trigger {
                    Trigger::Api(r) => routes.push(gateway::Route {
                        method: r.method.clone(),
                        path: r.path.clone(),
                        access: r.access.clone(),
                        function: function.clone(),
                    }),
                    Trigger::Sqs { queue, batch_size } => {
                        tasks.push(tokio::spawn(triggers::poll_queue(
                            sqs.clone(),
                            names.get_ref(queue)?,
                            names.get_att(queue, "Arn")?,
                            *batch_size,
                            function.clone(),
                        )))
                    }
                    Trigger::Stream {
                        table,
                        batch_size,
                        filters,
                    } => tasks.push(tokio::spawn(triggers::poll_stream(
                        http.clone(),
                        options.endpoint.clone(),
                        names.get_att(table, "StreamArn")?,
                        *batch_size,
                        filters.clone(),
                        function.clone(),
                        streams_paused.clone(),
                    ))),
                    Trigger::Schedule { every } => {
                        tasks.push(tokio::spawn(triggers::run_schedule(
                            *every,
                            format!(
                                "arn:aws:events:{REGION}:{ACCOUNT}:rule/{stack}-{}",
                                f.logical_id
                            ),
                            function.clone(),
                        )))
                    }
                }
            }
        }

        // DynamoDB's TTL, on the tables that enable it (moto never expires items itself).
        let dynamo = aws_sdk_dynamodb::Client::new(&config);
        for (id, r) in template.resources_of("AWS::DynamoDB::Table") {
            let ttl = &r["Properties"]["TimeToLiveSpecification"];
            if ttl["Enabled"].as_bool() == Some(true)
                && let Some(attribute) = ttl["AttributeName"].as_str()
            {
                tasks.push(tokio::spawn(triggers::emulate_ttl(
                    dynamo.clone(),
                    names.get_ref(&id)?,
                    attribute.to_string(),
                    Duration::from_secs(1),
                )));
            }
        }

        // The saga: the same definition, each Task invoking the function its ARN names.
        let executions: Arc<Mutex<HashMap<String, Outcome>>> = Arc::default();
        let by_arn: HashMap<String, Arc<Container>> = functions
            .values()
            .map(|c| (c.arn.clone(), c.clone()))
            .collect();
        let sfn = aws_sdk_sfn::Client::new(&config);
        for (id, r) in template.resources_of("AWS::Serverless::StateMachine") {
            let definition = provision::state_machine_definition(r, &names)?;
            let machine = Arc::new(StateMachine::parse(&definition)?);
            tasks.push(tokio::spawn(triggers::run_executions(
                sfn.clone(),
                names.get_ref(&id)?,
                machine,
                Arc::new(triggers::Tasks(by_arn.clone())),
                executions.clone(),
            )));
        }

        let authorizer = template.authorizer()?;
        let authorizer_fn = functions
            .get(&authorizer.function)
            .ok_or_else(|| format!("authorizer {} is not a function", authorizer.function))?
            .clone();
        let gateway = Arc::new(gateway::Gateway::new(
            routes,
            authorizer,
            authorizer_fn,
            template.gateway_responses(&names)?,
            template.cors_preflight(&names)?,
            template.stage(),
        )?);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|e| format!("port {}: {e}", options.port))?;
        let base_url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        tasks.push(tokio::spawn(gateway::serve(listener, gateway)));
        tracing::info!(%base_url, %stack, account = ACCOUNT, "cloud-shaped stack is up");
        Ok(Self {
            base_url,
            names,
            config,
            keys,
            dir: options.dir,
            functions,
            executions,
            streams_paused,
            tasks,
        })
    }

    /// Stops every function and poller.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for f in self.functions.values() {
            f.stop().await;
        }
    }

    /// Creates an admin in the identity table, as `stagepass-admin` does for a deployment.
    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<(), String> {
        let table = self.names.get_ref("IdentityTable")?;
        stagepass_lambda::ensure_admin(&self.config, &table, email, password)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// An HTTP client builder that can be built in any binary of the workspace: building the
/// workspace turns on reqwest's rustls support (for the Stripe adapter), and reqwest then
/// needs a rustls crypto provider installed (aws-lc-rs, which the AWS SDK links already).
pub fn http_client() -> reqwest::ClientBuilder {
    // An error only means a provider is installed already.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}
