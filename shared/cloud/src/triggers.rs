//! What invokes functions besides the API, run as AWS runs it: the state machine's executions
//! (started by checkout through the Step Functions API, each Task invoking its function's
//! binary), an SQS event source (batches, partial batch failures, redrive by the queue), and a
//! DynamoDB stream event source (filter criteria, batches, retried from the first failure), and
//! EventBridge schedules.

use crate::runtime::Container;
use crate::template::REGION;
use serde_json::{Value, json};
use stagepass_local::asl::{StateMachine, TaskError, TaskFailure, TaskFuture, TaskRunner};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const POLL: Duration = Duration::from_millis(100);

/// Task resources (function ARNs) → the function's container.
pub struct Tasks(pub HashMap<String, Arc<Container>>);

impl TaskRunner for Tasks {
    fn run<'a>(&'a self, resource: &'a str, input: Value) -> TaskFuture<'a> {
        Box::pin(async move {
            let Some(function) = self.0.get(resource) else {
                return Err(TaskFailure::Error(TaskError {
                    error: "States.Runtime".into(),
                    cause: format!("no function {resource}"),
                }));
            };
            function.invoke(&input).await.map_err(|e| {
                TaskFailure::Error(TaskError {
                    error: e.error_type,
                    cause: e.message,
                })
            })
        })
    }
}

/// Runs every execution started on `machine_arn`, once, and closes it on the endpoint.
pub async fn run_executions(
    sfn: aws_sdk_sfn::Client,
    machine_arn: String,
    machine: Arc<StateMachine>,
    tasks: Arc<Tasks>,
    finished: Arc<std::sync::Mutex<HashMap<String, stagepass_local::asl::Outcome>>>,
) {
    let mut seen = HashSet::new();
    loop {
        let listed = sfn
            .list_executions()
            .state_machine_arn(&machine_arn)
            .status_filter(aws_sdk_sfn::types::ExecutionStatus::Running)
            .send()
            .await;
        match listed {
            Ok(list) => {
                for execution in list.executions() {
                    let arn = execution.execution_arn().to_string();
                    if !seen.insert(arn.clone()) {
                        continue;
                    }
                    let (sfn, machine, tasks, finished) = (
                        sfn.clone(),
                        machine.clone(),
                        tasks.clone(),
                        finished.clone(),
                    );
                    tokio::spawn(async move {
                        let input = match sfn.describe_execution().execution_arn(&arn).send().await
                        {
                            Ok(d) => d
                                .input()
                                .and_then(|i| serde_json::from_str(i).ok())
                                .unwrap_or(Value::Null),
                            Err(e) => {
                                tracing::error!(%arn, error = %aws_sdk_sfn::error::DisplayErrorContext(e), "describe execution");
                                return;
                            }
                        };
                        let run = machine.execute(input, tasks.as_ref(), 1.0).await;
                        tracing::info!(%arn, outcome = ?run.outcome, transitions = run.transitions, "execution ended");
                        // The endpoint cannot run Tasks; end the execution there so it is not
                        // listed as running (its status there is ABORTED, not the outcome).
                        let _ = sfn.stop_execution().execution_arn(&arn).send().await;
                        finished.lock().expect("lock").insert(arn, run.outcome);
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sfn::error::DisplayErrorContext(e), "list executions")
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Lambda's SQS event source: batches of up to `batch_size`, messages the function reports as
/// failed (or all, if it fails) stay on the queue until their visibility timeout.
pub async fn poll_queue(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    batch_size: usize,
    function: Arc<Container>,
) {
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(batch_size.min(10) as i32)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match received {
            Ok(r) => r.messages().to_vec(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "receive");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
                    .collect();
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": REGION,
                })
            })
            .collect();
        let failed: HashSet<String> = match function.invoke(&json!({ "Records": records })).await {
            Ok(answer) => answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                .collect(),
            Err(e) => {
                tracing::warn!(function = %function.function, error = ?e, "queue batch failed");
                messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_string))
                    .collect()
            }
        };
        for m in &messages {
            if failed.contains(m.message_id().unwrap_or_default()) {
                continue;
            }
            if let Some(handle) = m.receipt_handle() {
                let _ = sqs
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
        }
    }
}

/// A DynamoDB Streams call over the JSON protocol (the stack's own, not a function's).
async fn streams_call(
    http: &reqwest::Client,
    endpoint: &str,
    operation: &str,
    body: Value,
) -> Result<Value, String> {
    let response = http
        .post(endpoint)
        .header("x-amz-target", format!("DynamoDBStreams_20120810.{operation}"))
        .header("content-type", "application/x-amz-json-1.0")
        // The endpoint routes on the signing scope; it does not check the signature.
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let value: Value = response.json().await.map_err(|e| e.to_string())?;
    match status.is_success() {
        true => Ok(value),
        false => Err(format!("{operation}: {status} {value}")),
    }
}

/// Whether a Lambda event filter pattern matches a record (the subset Lambda documents for
/// filtering: nested fields, lists of values, `prefix`, `exists`).
pub fn pattern_matches(pattern: &Value, value: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, p)| match value.get(k) {
            Some(v) => pattern_matches(p, v),
            None => {
                matches!(p, Value::Array(opts) if opts.iter().any(|o| o["exists"] == json!(false)))
            }
        }),
        Value::Array(options) => options.iter().any(|o| match o {
            Value::Object(rule) if rule.contains_key("prefix") => value
                .as_str()
                .zip(rule["prefix"].as_str())
                .is_some_and(|(v, p)| v.starts_with(p)),
            Value::Object(rule) if rule.contains_key("exists") => rule["exists"] == json!(true),
            literal => literal == value,
        }),
        literal => literal == value,
    }
}

/// An EventBridge schedule: invokes the function every `every` with a `Scheduled Event`
/// (the first run after one period, as in AWS). A failed run is logged; the next one retries.
pub async fn run_schedule(every: Duration, rule_arn: String, function: Arc<Container>) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = function.invoke(&scheduled_event(&rule_arn)).await {
            tracing::warn!(function = %function.function, error = %e.message, "scheduled run failed");
        }
    }
}

/// What EventBridge sends a function on a schedule.
pub fn scheduled_event(rule_arn: &str) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": crate::template::ACCOUNT,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": crate::template::REGION,
        "resources": [rule_arn],
        "detail": {}
    })
}

/// Lambda's DynamoDB stream event source from the oldest record: records that pass the
/// filters, in batches; a failed batch (or the part from the first reported failure on) is
/// retried until it succeeds, as `MaximumRetryAttempts: -1` does.
pub async fn poll_stream(
    http: reqwest::Client,
    endpoint: String,
    stream_arn: String,
    batch_size: usize,
    filters: Vec<Value>,
    function: Arc<Container>,
    paused: Arc<AtomicBool>,
) {
    let mut iterators: HashMap<String, String> = HashMap::new();
    let mut pending: Vec<Value> = Vec::new();
    loop {
        if paused.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        if let Ok(described) = streams_call(
            &http,
            &endpoint,
            "DescribeStream",
            json!({"StreamArn": stream_arn}),
        )
        .await
        {
            for shard in described["StreamDescription"]["Shards"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let id = shard["ShardId"].as_str().unwrap_or_default().to_string();
                if iterators.contains_key(&id) {
                    continue;
                }
                let body = json!({"StreamArn": stream_arn, "ShardId": id, "ShardIteratorType": "TRIM_HORIZON"});
                if let Ok(it) = streams_call(&http, &endpoint, "GetShardIterator", body).await
                    && let Some(it) = it["ShardIterator"].as_str()
                {
                    iterators.insert(id, it.to_string());
                }
            }
        }
        for iterator in iterators.values_mut() {
            let body = json!({"ShardIterator": iterator, "Limit": 1000});
            match streams_call(&http, &endpoint, "GetRecords", body).await {
                Ok(page) => {
                    for mut record in page["Records"].as_array().cloned().unwrap_or_default() {
                        record["eventSourceARN"] = json!(stream_arn);
                        if filters.is_empty() || filters.iter().any(|f| pattern_matches(f, &record))
                        {
                            pending.push(record);
                        }
                    }
                    if let Some(next) = page["NextShardIterator"].as_str() {
                        *iterator = next.to_string();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "get records"),
            }
        }
        while !pending.is_empty() {
            let n = pending.len().min(batch_size.max(1));
            let batch: Vec<Value> = pending[..n].to_vec();
            match function.invoke(&json!({ "Records": batch })).await {
                Ok(answer) => {
                    let first_failed = answer["batchItemFailures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f["itemIdentifier"].as_str())
                        .filter_map(|seq| {
                            batch
                                .iter()
                                .position(|r| r["dynamodb"]["SequenceNumber"] == json!(seq))
                        })
                        .min();
                    match first_failed {
                        None => {
                            pending.drain(..n);
                        }
                        Some(i) => {
                            pending.drain(..i);
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            break;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(function = %function.function, error = ?e, "stream batch failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// DynamoDB's TTL, which moto does not run: every `every`, deletes the items of `table`
/// whose `attribute` (epoch seconds) has passed, each only if it still has the value read, as
/// TTL's own deletes are (their stream records then reach the functions reading the stream).
/// AWS deletes within 48 hours of expiry; this within a period.
pub async fn emulate_ttl(
    client: aws_sdk_dynamodb::Client,
    table: String,
    attribute: String,
    every: Duration,
) {
    use aws_sdk_dynamodb::types::AttributeValue;
    loop {
        tokio::time::sleep(every).await;
        let now = AttributeValue::N(chrono::Utc::now().timestamp().to_string());
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&table)
                .filter_expression("#ttl <= :now")
                .expression_attribute_names("#ttl", &attribute)
                .expression_attribute_values(":now", now.clone())
                .set_exclusive_start_key(start.take())
                .send()
                .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(%table, error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "ttl scan");
                    break;
                }
            };
            for item in page.items() {
                let key = ["pk", "sk"]
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
                let Some(seen) = item.get(&attribute) else {
                    continue;
                };
                // A failed condition means the item changed since: not expired any more.
                let _ = client
                    .delete_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .condition_expression("#ttl = :seen")
                    .expression_attribute_names("#ttl", &attribute)
                    .expression_attribute_values(":seen", seen.clone())
                    .send()
                    .await;
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pattern_matches;
    use serde_json::json;

    #[test]
    fn the_outbox_filter_passes_outbox_inserts_only() {
        let pattern = json!({"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}});
        let record = |name: &str, pk: &str| json!({"eventName": name, "dynamodb": {"Keys": {"pk": {"S": pk}}}});
        assert!(pattern_matches(&pattern, &record("INSERT", "OUTBOX#1")));
        assert!(pattern_matches(&pattern, &record("MODIFY", "OUTBOX#1")));
        assert!(!pattern_matches(&pattern, &record("REMOVE", "OUTBOX#1")));
        assert!(!pattern_matches(&pattern, &record("INSERT", "BOOKING#1")));
        assert!(!pattern_matches(&pattern, &json!({"eventName": "INSERT"})));
    }
}
