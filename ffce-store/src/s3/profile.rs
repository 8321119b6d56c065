//! Refusing a named AWS profile that does not exist.
//!
//! The SDK's credential chain tries the environment before any profile, so a misspelt
//! `profile` is silently ignored whenever `AWS_ACCESS_KEY_ID` is set, and the requests
//! run as whoever those variables belong to. The AWS CLI fails instead ("The config
//! profile (NAME) could not be found"); so does [`check_exists`], reading the files with
//! the SDK's own parser so that both agree on what a profile is.

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use crate::error::{StoreError, StoreResult};

/// Ok when `name` is a profile of the AWS config file or the credentials file (the
/// default ones, or `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`); else
/// [`StoreError::Config`] for `profile`, naming the files looked in.
pub(crate) async fn check_exists(name: &str) -> StoreResult<()> {
    check_in(name, &Fs::real(), &Env::real()).await
}

async fn check_in(name: &str, fs: &Fs, env: &Env) -> StoreResult<()> {
    let loaded = aws_config::profile::parser::load(fs, env, &EnvConfigFiles::default(), None).await;
    let [config, credentials] = file_names(env);
    let problem = match loaded {
        Ok(profiles) if profiles.get_profile(name).is_some() => return Ok(()),
        Ok(_) => format!(
            "the config profile ({name}) could not be found (looked in {config} and \
             {credentials})"
        ),
        Err(e) => format!("cannot read the AWS config files ({config}, {credentials}): {e}"),
    };
    Err(StoreError::Config {
        setting: "profile",
        problem,
    })
}

/// The two files as the SDK picks them: the variable's value, else the default path.
fn file_names(env: &Env) -> [String; 2] {
    [
        ("AWS_CONFIG_FILE", "~/.aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ]
    .map(|(var, default)| env.get(var).unwrap_or_else(|_| default.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Fs, Env) {
        let fs = Fs::from_slice(&[
            (
                "/aws/config",
                "[profile in-config]\nregion = eu-west-1\n[default]\n",
            ),
            (
                "/aws/credentials",
                "[in-credentials]\naws_access_key_id = a\naws_secret_access_key = b\n",
            ),
        ]);
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/aws/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/aws/credentials"),
            ("HOME", "/home/nobody"),
        ]);
        (fs, env)
    }

    #[tokio::test]
    async fn a_profile_in_either_file_exists() {
        let (fs, env) = setup();
        for name in ["in-config", "in-credentials", "default"] {
            check_in(name, &fs, &env).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_missing_profile_names_itself_and_the_files() {
        let (fs, env) = setup();
        let err = check_in("nosuch", &fs, &env).await.unwrap_err();
        let StoreError::Config { setting, problem } = err else {
            panic!("expected Config, got {err:?}");
        };
        assert_eq!(setting, "profile");
        assert_eq!(
            problem,
            "the config profile (nosuch) could not be found (looked in /aws/config and \
             /aws/credentials)"
        );
        // Without the variables: the default paths.
        let env = Env::from_slice(&[("HOME", "/home/nobody")]);
        let err = check_in("nosuch", &fs, &env).await.unwrap_err().to_string();
        assert!(
            err.contains("~/.aws/config and ~/.aws/credentials"),
            "{err}"
        );
    }
}
