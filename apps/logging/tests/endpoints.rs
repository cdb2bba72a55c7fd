//! The endpoint list: CCF's methods and paths, execution modes and auth policies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use http::Method;
use quorate_app_logging::LoggingApp;
use quorate_node::app::{App, AppAuth, AppHandler};

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    ReadWrite,
    ReadOnly,
    Historical,
}

#[test]
fn the_endpoints_are_ccfs() {
    let app = LoggingApp;
    assert_eq!(app.name(), "logging");
    let endpoints = app.endpoints();
    let listed: BTreeSet<_> = endpoints
        .iter()
        .map(|endpoint| {
            let mode = match endpoint.handler {
                AppHandler::ReadWrite(_) => Mode::ReadWrite,
                AppHandler::ReadOnly(_) => Mode::ReadOnly,
                AppHandler::Historical(_) => Mode::Historical,
            };
            (
                endpoint.method.to_string(),
                endpoint.path.clone(),
                mode,
                format!("{:?}", endpoint.auth),
            )
        })
        .collect();
    assert_eq!(listed.len(), endpoints.len(), "no endpoint twice");

    let user = vec![AppAuth::UserCert];
    let expected: BTreeSet<_> = [
        (Method::POST, "/log/private", Mode::ReadWrite, user.clone()),
        (Method::POST, "/log/public", Mode::ReadWrite, user.clone()),
        (Method::GET, "/log/private", Mode::ReadOnly, user.clone()),
        (Method::GET, "/log/public", Mode::ReadOnly, user.clone()),
        (
            Method::DELETE,
            "/log/private",
            Mode::ReadWrite,
            user.clone(),
        ),
        (Method::DELETE, "/log/public", Mode::ReadWrite, user.clone()),
        (
            Method::DELETE,
            "/log/private/all",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::DELETE,
            "/log/public/all",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::GET,
            "/log/private/count",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::GET,
            "/log/public/count",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::POST,
            "/log/private/anonymous",
            Mode::ReadWrite,
            vec![AppAuth::NoAuth],
        ),
        (
            Method::POST,
            "/log/private/prefix_cert",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::POST,
            "/log/private/raw_text/{id}",
            Mode::ReadWrite,
            user.clone(),
        ),
        (
            Method::GET,
            "/log/private/historical",
            Mode::Historical,
            user.clone(),
        ),
        (
            Method::GET,
            "/log/public/historical",
            Mode::Historical,
            user.clone(),
        ),
    ]
    .into_iter()
    .map(|(method, path, mode, auth)| {
        (
            method.to_string(),
            path.to_owned(),
            mode,
            format!("{auth:?}"),
        )
    })
    .collect();
    assert_eq!(listed, expected);
}
