//! The deployed shape, run here: every function's real binary under a local Lambda Runtime
//! API with exactly its template environment, behind API Gateway, the saga, the queue and the
//! stream as in AWS (`stagepass-cloud`), on the test endpoint. The journey that runs on the
//! embedded stack (`e2e`) runs here unchanged, and every AWS call a function made is judged
//! against that function's policies in `template.yaml`.

use stagepass_tests::cloud::{CloudApp, CloudOptions, CloudStack};
use stagepass_tests::{journey, repo_root};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

fn binaries() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("debug")
}

/// `infra/check_permissions.py` on the recorded calls; its exit status and what it printed.
fn check_permissions(template: &Path, dir: &Path) -> (bool, String) {
    let venv = std::env::var("VENV").unwrap_or_else(|_| ".venv".into());
    let output = std::process::Command::new(repo_root().join(venv).join("bin/python"))
        .arg(repo_root().join("infra/check_permissions.py"))
        .arg("--template")
        .arg(template)
        .arg("--calls")
        .arg(dir.join(stagepass_cloud::CALLS_FILE))
        .arg("--names")
        .arg(dir.join(stagepass_cloud::NAMES_FILE))
        .output()
        .expect("python from the venv (make test creates it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_function_runs_as_deployed_and_within_its_permissions() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL (make test starts moto and sets it)");
    // Kept after the run: each function's log and the recorded calls are worth reading.
    let dir = binaries()
        .parent()
        .expect("target")
        .join("cloud-test")
        .join(uuid::Uuid::new_v4().simple().to_string());
    let started = std::time::Instant::now();
    let stack = CloudStack::start(CloudOptions {
        endpoint: endpoint.clone(),
        binaries: binaries(),
        dir: dir.clone(),
        port: 0,
    })
    .await
    .unwrap_or_else(|e| panic!("the cloud-shaped stack did not start: {e}"));
    let up = started.elapsed();
    let app = CloudApp::new(stack, endpoint);
    let walked = journey::every_function(&app).await;
    // The integration events of an event's life, on the bus as a subscriber sees them.
    journey::integration_events(&app).await;
    println!(
        "cloud-shaped: up in {:.1} s, journey of {} requests in {:.1} s",
        up.as_secs_f64(),
        walked.requests,
        (started.elapsed() - up).as_secs_f64()
    );

    let idle: Vec<&String> = app
        .stack
        .functions
        .iter()
        .filter(|(_, f)| f.invocations.load(Ordering::Relaxed) == 0)
        .map(|(id, _)| id)
        .collect();
    assert!(
        idle.is_empty(),
        "functions the journey never invoked: {idle:?}"
    );

    let (ok, report) = check_permissions(&repo_root().join("template.yaml"), dir.as_path());
    println!("{report}");
    assert!(
        ok,
        "a function made an AWS call its policies do not allow:\n{report}"
    );
    assert!(
        report.contains("API stages deployed: live\n"),
        "only the configured stage, no stray `Stage`: {report}"
    );

    // The check can fail: without checkout's grant to start the saga, it names the call.
    let template = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let grant = "Action: [states:StartExecution]";
    assert_eq!(template.matches(grant).count(), 1, "one grant to remove");
    let narrowed = dir.as_path().join("template-without-a-grant.yaml");
    std::fs::write(
        &narrowed,
        template.replace(grant, "Action: [states:DescribeExecution]"),
    )
    .unwrap();
    let (ok, report) = check_permissions(&narrowed, dir.as_path());
    assert!(!ok, "removing a used grant must fail the check:\n{report}");
    assert!(
        report.contains("REFUSED CheckoutFunction: states:StartExecution on arn:aws:states:"),
        "{report}"
    );
    app.stack.stop().await;
}
