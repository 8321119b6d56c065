//! What every ffce test that talks to AWS shares, in one place: where the moto test
//! server is ([`s3_endpoint`], which refuses anything but a loopback address), and an
//! AWS environment of dummy credentials with nothing from the developer's own set-up
//! (profiles, endpoints, instance metadata, config files), for a child process
//! ([`isolate_command`]) or for this process ([`isolate_process`]).
//!
//! The server is started by `scripts/test.sh` (or `export $(scripts/s3-server.sh
//! start)`), which exports `FFCE_TEST_S3_ENDPOINT`. Without it the tests that need it
//! fail, saying so; they never skip.

use std::process::Command;
use std::sync::Once;

/// The variable that names the test server.
pub const ENDPOINT_VARIABLE: &str = "FFCE_TEST_S3_ENDPOINT";

/// Variables of a developer's or a machine's AWS set-up that a test must not inherit:
/// each could send a request elsewhere than the test server, or sign it as someone
/// else.
pub const AWS_UNSET: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_DEFAULT_REGION",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_LAMBDA_RUNTIME_API",
];

/// What a test's AWS SDK sees instead: dummy credentials, one region, no instance
/// metadata, and config and credentials files that do not exist.
pub const AWS_SET: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent/ffce-test/aws-config"),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/ffce-test/aws-credentials",
    ),
];

/// The S3 (and DynamoDB) endpoint of the moto test server, `http://127.0.0.1:PORT`.
///
/// Panics when [`ENDPOINT_VARIABLE`] is unset, saying how to provide it, and when it
/// names anything but a loopback server: every request of the tests goes to the server
/// on this machine, never to AWS.
pub fn s3_endpoint() -> String {
    let endpoint = match std::env::var(ENDPOINT_VARIABLE) {
        Ok(e) if !e.is_empty() => e,
        _ => panic!(
            "{ENDPOINT_VARIABLE} is not set: these tests need the moto test server. Run \
             them through `scripts/test.sh` (it builds the venv and starts the server), or \
             start it yourself with `export $(scripts/s3-server.sh start)`."
        ),
    };
    check_loopback(&endpoint);
    endpoint
}

fn check_loopback(endpoint: &str) {
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "{ENDPOINT_VARIABLE}={endpoint:?} is not a loopback server (http://127.0.0.1:PORT)"
    );
}

/// A child process's command with [`AWS_UNSET`] removed and [`AWS_SET`] set (set a
/// variable after this call to override one).
pub fn isolate_command(cmd: &mut Command) -> &mut Command {
    for var in AWS_UNSET {
        cmd.env_remove(var);
    }
    cmd.envs(AWS_SET.iter().copied())
}

static PROCESS: Once = Once::new();

/// [`AWS_UNSET`] removed from and [`AWS_SET`] set in this process, once, for tests that
/// build AWS SDK clients in-process (the SDK reads credentials from the environment).
/// Call it before the first client is built.
pub fn isolate_process() {
    PROCESS.call_once(|| {
        // SAFETY: `set_var`/`remove_var` race only with a concurrent read of the
        // environment outside std's lock (C code calling `getenv`). Every test that
        // builds a client calls this first, and `call_once` holds the others back until
        // it returns; anything else running meanwhile reads the environment through std,
        // which takes the lock.
        unsafe {
            for var in AWS_UNSET {
                std::env::remove_var(var);
            }
            for (var, value) in AWS_SET {
                std::env::set_var(var, value);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_endpoints_pass() {
        check_loopback("http://127.0.0.1:5000");
        for bad in [
            "http://localhost:5000",
            "https://s3.amazonaws.com",
            "http://10.0.0.1:9",
        ] {
            let result = std::panic::catch_unwind(|| check_loopback(bad));
            assert!(result.is_err(), "{bad} passed");
        }
    }

    #[test]
    fn a_command_sees_no_outside_aws_settings() {
        let mut cmd = Command::new("true");
        cmd.env("AWS_PROFILE", "prod");
        isolate_command(&mut cmd);
        let envs: Vec<_> = cmd.get_envs().collect();
        assert!(envs.contains(&("AWS_PROFILE".as_ref(), None)));
        assert!(envs.contains(&("AWS_REGION".as_ref(), Some("us-east-1".as_ref()))));
    }
}
