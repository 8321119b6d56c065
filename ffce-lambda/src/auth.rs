//! Device authentication (FFCE-SPEC §7): NOT YET BUILT IN. Until `ffce-core`'s
//! `device-auth` feature is available here, every authenticated route fails closed
//! with 500, so no request is ever served unauthenticated.

use crate::reply::{Refusal, Request};

/// Stands for the device's registered key until authentication is built in.
#[derive(Debug)]
pub struct PublicKeyStub;

/// Accepts any text (the check below refuses every request anyway).
pub fn parse_public_key(_text: &str) -> Result<PublicKeyStub, std::convert::Infallible> {
    Ok(PublicKeyStub)
}

/// Refuses every request: authentication is not built in yet.
pub fn check(_request: &Request, _path_uuid: &str, _key: &PublicKeyStub) -> Result<(), Refusal> {
    Err(Refusal::new(500, "Device authentication is not available"))
}
