//! The sandbox governs its own service as member0 (a one-member consortium under the default
//! constitution, where member0's vote is a majority): it makes member0 Active, registers
//! user0 (and deploys the JS app, if asked), trusts each node that joins, and opens the
//! service once every node is in. Each step looks at the service first, so a resumed sandbox
//! finishes whatever a previous run left undone and a finished one changes nothing.

use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::processes::NodeProcess;
use super::readiness::exited_while_starting;
use crate::commands::gov::client::{GovClient, now_s};

/// Between two looks at the service.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

pub struct SandboxGovernance {
    pub client: GovClient,
    /// user0's certificate (PEM).
    pub user_cert: String,
    /// The service certificate (PEM), named when opening.
    pub service_cert: String,
    /// A JS app bundle (CCF's JSON) to deploy with user0.
    pub js_app: Option<Value>,
    /// Nodes the service should have before it opens.
    pub expected_nodes: usize,
}

impl SandboxGovernance {
    /// Steps until the service is open with every node trusted.
    pub async fn converge(
        &self,
        within: Duration,
        processes: &mut [NodeProcess],
    ) -> anyhow::Result<()> {
        self.converge_with(within, || exited_while_starting(processes))
            .await
    }

    /// As [`Self::converge`], for callers that run their nodes their own way (`quorate dev
    /// chaos` runs them in network namespaces): `still_running` fails the wait as soon as a
    /// node process has gone, instead of letting it run into the deadline.
    pub async fn converge_with(
        &self,
        within: Duration,
        mut still_running: impl FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        let mut last_error = None;
        loop {
            match self.step().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(error) => last_error = Some(error),
            }
            still_running()?;
            if Instant::now() > deadline {
                return Err(match last_error {
                    Some(error) => error.context("governing the service"),
                    None => anyhow::anyhow!("the service was not open in time"),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// One step towards an open service; `true` once it is there.
    async fn step(&self) -> anyhow::Result<bool> {
        let member_id = self.client.member_id();
        let member = self
            .client
            .get(&format!("/gov/service/members/{member_id}"))
            .await?;
        if member["status"] != "Active" {
            self.client.activate().await?;
            println!("  member0 acknowledged the service and is Active");
            return Ok(false);
        }
        let users = self.client.get("/gov/service/users").await?;
        let has_user = users["value"].as_array().is_some_and(|list| {
            list.iter()
                .any(|user| user["certificate"] == self.user_cert.as_str())
        });
        if !has_user {
            let mut actions = vec![json!({"name": "set_user", "args": {"cert": self.user_cert}})];
            if let Some(bundle) = &self.js_app {
                actions.push(json!({"name": "set_js_app", "args": {"bundle": bundle}}));
            }
            accepted(
                self.client
                    .propose_and_accept(&Value::Array(actions))
                    .await?,
            )?;
            println!(
                "  proposal accepted: set_user user0{}",
                if self.js_app.is_some() {
                    ", set_js_app"
                } else {
                    ""
                }
            );
            return Ok(false);
        }
        let nodes = self.client.get("/gov/service/nodes").await?;
        let nodes = nodes["value"].as_array().cloned().unwrap_or_default();
        for node in nodes.iter().filter(|node| node["status"] == "Pending") {
            let node_id = node["nodeId"].as_str().context("a node without an id")?;
            let actions = json!([{
                "name": "transition_node_to_trusted",
                "args": {"node_id": node_id, "valid_from": generalized_time(now_s())},
            }]);
            accepted(self.client.propose_and_accept(&actions).await?)?;
            println!("  proposal accepted: transition_node_to_trusted {node_id}");
        }
        let trusted = nodes
            .iter()
            .filter(|node| node["status"] == "Trusted")
            .count();
        if trusted < self.expected_nodes {
            return Ok(false);
        }
        let info = self.client.get("/gov/service/info").await?;
        match info["status"].as_str() {
            Some("Open") => Ok(true),
            Some("Opening") => {
                let actions = json!([{
                    "name": "transition_service_to_open",
                    "args": {"next_service_identity": self.service_cert},
                }]);
                accepted(self.client.propose_and_accept(&actions).await?)?;
                println!("  proposal accepted: transition_service_to_open");
                Ok(false)
            }
            other => bail!("the service is {other:?}; the sandbox cannot open it"),
        }
    }
}

/// The proposal's view, if it was Accepted.
fn accepted(proposal: Value) -> anyhow::Result<Value> {
    if proposal["proposalState"] == "Accepted" {
        Ok(proposal)
    } else {
        bail!("proposal not accepted: {proposal}")
    }
}

/// `YYYYMMDDhhmmssZ` (ASN.1 GeneralizedTime), as CCF's tools write `valid_from`.
fn generalized_time(unix_s: u64) -> String {
    let days = i64::try_from(unix_s / 86_400).unwrap_or(0);
    let seconds = unix_s % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::generalized_time;

    #[test]
    fn generalized_time_matches_known_dates() {
        assert_eq!(generalized_time(0), "19700101000000Z");
        assert_eq!(generalized_time(951_782_400), "20000229000000Z");
        assert_eq!(generalized_time(1_735_689_600), "20250101000000Z");
        assert_eq!(generalized_time(1_798_761_599), "20261231235959Z");
    }
}
