//! Messages from peers, routed by kind once their channel authenticated them.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::context::NodeContext;
use super::driver::{DriverHandle, DriverInput};
use super::forwarded_codec::Forwarded;
use super::forwarding::serve_forwarded;
use super::peers::raft_id_of_channel;
use crate::channel::MessageKind;
use crate::frontend::EndpointRegistry;
use crate::transport::{Inbound, TransportHandle};

/// Routes authenticated peer messages: consensus to the driver, forwarded requests to the
/// primary table, forwarded responses to their waiting clients.
pub(super) async fn demultiplex(
    mut inbound: mpsc::Receiver<Inbound>,
    driver: DriverHandle,
    context: Arc<NodeContext>,
    primary_table: Arc<EndpointRegistry>,
    transport: TransportHandle,
) {
    while let Some(message) = inbound.recv().await {
        match message.kind {
            MessageKind::Consensus => {
                let input = DriverInput::Peer {
                    from: raft_id_of_channel(&message.from),
                    bytes: message.payload,
                };
                if driver.submit(input).is_err() {
                    tracing::debug!("driver busy: a consensus message was dropped");
                }
            }
            MessageKind::Forwarded => match Forwarded::decode(&message.payload) {
                Ok(Forwarded::Request(request)) => {
                    tokio::spawn(serve_forwarded(
                        primary_table.current(),
                        transport.clone(),
                        message.from,
                        request,
                    ));
                }
                Ok(Forwarded::Response(response)) => context.forwarder.deliver(response),
                Err(error) => {
                    tracing::debug!(peer = %message.from, %error, "forwarded message refused")
                }
            },
        }
    }
}
