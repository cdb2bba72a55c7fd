//! The `command` section: whether this node starts a new service or joins a running one, and
//! where the service certificate is written (Start) or read (Join). Recovery is refused with a
//! "not supported yet" error until Quorate implements it.
//!
//! CCF's own test harness writes `start`, `join` and `recover` sections into every config and
//! lets `type` pick one, so sections for the other modes are accepted and not read: they may be
//! incomplete (a Join config's `start` has no members to list).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::join::JoinConfig;
use super::json_object::JsonObject;
use super::paths::resolve_against;
use super::start::StartConfig;

/// CCF's default `service_certificate_file`.
const DEFAULT_SERVICE_CERTIFICATE_FILE: &str = "service_cert.pem";

/// How the node comes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Start: where the new service certificate is written. Join: the certificate of the service
    /// to join, used to authenticate the target (CCF default "service_cert.pem").
    pub service_certificate_file: PathBuf,
    /// Start or join, with its settings.
    pub mode: StartMode,
}

/// The node's start mode (CCF `command.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartMode {
    /// Create a new service with this node as its first primary.
    Start(StartConfig),
    /// Join an existing service.
    Join(JoinConfig),
}

/// CCF's three start types.
#[derive(Clone, Copy)]
enum CommandType {
    Start,
    Join,
    Recover,
}

impl Command {
    /// Reads the section at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "type",
                "service_certificate_file",
                "start",
                "join",
                "recover",
            ],
        )?;
        let command_type = object
            .choice(
                "type",
                &[
                    ("Start", CommandType::Start),
                    ("Join", CommandType::Join),
                    ("Recover", CommandType::Recover),
                ],
            )?
            .ok_or_else(|| ConfigError::MissingField {
                path: object.path_of("type"),
            })?;
        let mode = match command_type {
            CommandType::Start => {
                let path = object.path_of("start");
                let start = StartConfig::from_json(object.required("start")?, &path)?;
                start.check(&path)?;
                StartMode::Start(start)
            }
            CommandType::Join => StartMode::Join(JoinConfig::from_json(
                object.required("join")?,
                &object.path_of("join"),
            )?),
            CommandType::Recover => {
                return Err(ConfigError::Unsupported {
                    path: object.path_of("type"),
                    feature: "\"Recover\" (disaster recovery)".to_owned(),
                });
            }
        };
        Ok(Self {
            service_certificate_file: object
                .path_value("service_certificate_file")?
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SERVICE_CERTIFICATE_FILE)),
            mode,
        })
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        resolve_against(base, &mut self.service_certificate_file);
        if let StartMode::Start(start) = &mut self.mode {
            start.resolve_paths(base);
        }
    }
}
